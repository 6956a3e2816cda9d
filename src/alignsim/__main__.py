from alignsim.cli import entry

entry()
