from django.contrib.auth.hashers import Argon2PasswordHasher


class TestArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with small cost parameters, for the test suite only (settings_test)."""

    algorithm = "argon2"
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
