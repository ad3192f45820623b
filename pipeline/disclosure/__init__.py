"""The disclosure layer: every figure, text and check of a period's report, computed from the
warehouse and the method into one validated `Disclosure` (model.py), below rendering."""
