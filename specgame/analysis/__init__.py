"""Measuring the gap: exact comparators, blind detectors, reward distances, onset, rollouts."""
