"""corpuskit.morph: the one owner of FEATS, against spaCy's own normaliser and each caller's errors."""

from __future__ import annotations

import pytest
from spacy.morphology import Morphology

from corpuskit.morph import FeatsError, feats_problem, normalize_feats, sort_feats

CASES = [
    "Number=Sing|Case=Nom",
    "PronType=Rel,Int",
    "A-B=1|A=2",
    "Case=Acc|Case=Nom",  # a later repeat wins, as in spaCy
    "Number[psor]=Plur|Gender=Masc,Fem",
    "Definite=Def|PronType=Art",
]


@pytest.mark.parametrize("feats", CASES)
def test_normalize_feats_is_spacys(feats: str) -> None:
    assert normalize_feats(feats) == Morphology.dict_to_feats(Morphology.feats_to_dict(feats))


def test_normalize_feats_empty_and_errors() -> None:
    assert normalize_feats("") == normalize_feats("_") == ""
    with pytest.raises(FeatsError) as err:
        normalize_feats("Case=Nom|Foo|Bar")
    assert err.value.feature == "Foo"
    assert isinstance(err.value, ValueError)
    assert str(err.value) == "morphological feature 'Foo' in 'Case=Nom|Foo|Bar' is not Name=Value"
    with pytest.raises(FeatsError):
        normalize_feats("A=1=2")
    with pytest.raises(FeatsError):
        normalize_feats("A=1||B=2")  # an empty feature


def test_sort_feats_never_raises() -> None:
    assert sort_feats("B=2,1|Foo||A=1") == "A=1|B=1,2|Foo"
    assert sort_feats("A=2|A=1") == "A=2|A=1"  # stable: repeats kept in their order
    assert sort_feats("_") == ""


@pytest.mark.parametrize(
    ("feats", "problem"),
    [
        ("Case=Nom|Number=Sing", None),
        ("_", None),
        ("Case", "feature 'Case' is not Name=Value"),
        ("case=Nom", "feature name 'case' is not a UD name (a capital letter, then letters and digits)"),
        ("Case=nom", "value 'nom' of Case is not a UD value (a capital or digit, then letters and digits)"),
        ("PronType=Int,Int", "PronType repeats a value in 'Int,Int'"),
        ("PronType=Rel,Int", "values of PronType are not sorted: 'Rel,Int'"),
        ("Case=Nom|Case=Acc", "feature Case is repeated"),
        ("Number=Sing|Case=Nom", "features are not sorted by name: 'Number=Sing|Case=Nom'"),
        ("Xa=1|XB=2", None),  # UD's case-insensitive order
        ("XB=2|Xa=1", None),  # spaCy's code-point order
    ],
)
def test_feats_problem(feats: str, problem: str | None) -> None:
    assert feats_problem(feats) == problem
    assert feats_problem(feats) == problem  # cached
