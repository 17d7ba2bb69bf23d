"""Model families, one folder each (its configs, checkpoint reading, NumPy model)."""
