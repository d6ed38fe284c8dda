"""An implementation of SPEC.md written from the text alone, split by section;
`scripts/ci/verify_vectors.py` runs it against the known-answer vectors."""
