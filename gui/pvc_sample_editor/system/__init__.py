"""What the app needs from the machine: user folders, bundled resources, logs, the keyring.

Qt-free, and below every other package: anything may use it.
"""
