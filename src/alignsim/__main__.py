from alignsim.cli import main

main()
