"""The benchmark behind bench/run: stsenv beside awsume, the AWS CLI and direnv, in one run.

Run it as `bench/run` (which installs the peers); `python -m bench --help` for its options.
"""
