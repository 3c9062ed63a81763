"""Model fields for PII stored encrypted at rest."""

from __future__ import annotations

from django.db import models

from shopops.core import crypto


class EncryptedTextField(models.TextField):
    """Stores AES-GCM ciphertext; Python code sees plaintext. Not searchable: pair with a digest field."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value):
        if value is None or not isinstance(value, str) or not value.startswith(crypto.PREFIX):
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))
