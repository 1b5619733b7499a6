"""The JSONL-family converters (doccano, Label Studio, Prodigy, plain JSONL), a module per job.

:mod:`converters.jsonl_spans` is their surface: the converters and the public names.
"""
