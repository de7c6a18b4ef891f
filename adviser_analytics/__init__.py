"""adviser-analytics: honest numbers about a careers adviser's LinkedIn practice."""

__version__ = "0.1.0"
