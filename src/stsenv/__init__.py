"""stsenv: assume an AWS IAM role into the current shell, shown in the prompt, cleared at expiry."""

__version__ = "0.1.0"
