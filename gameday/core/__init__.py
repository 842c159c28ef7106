"""The pure domain: formats, blast radius, fault catalog, steady state, journal, findings.

Nothing here does IO beyond reading the files it is handed; nothing imports textual, paramiko,
a metrics client or a network library (checked by import contracts in the test run).
"""
