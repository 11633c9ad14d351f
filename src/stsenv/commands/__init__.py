"""One module per verb. Each handler takes (settings, **the verb's options from spec.py) and
returns the exit status; cli.py imports a module only when its verb runs. None of them
imports cli: what two verbs share lives below them (activation, catalog, terminal...)."""
