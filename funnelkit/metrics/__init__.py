"""The metric catalogue: one key metric per journey stage, computed from the canonical tables."""
