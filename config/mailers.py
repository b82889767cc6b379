"""Turn EMAIL_URL into Django 6.1's MAILERS setting (the EMAIL_* settings are deprecated)."""

from urllib.parse import unquote, urlparse

import environ

_SMTP_OPTIONS = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_TIMEOUT": "timeout",
}


def mailers_from_url(url: str) -> dict:
    """`consolemail://`, `filemail:///var/mail/partnerhub`, `smtp+tls://user:pass@host:587`,
    `smtp+ssl://...` → {"default": {"BACKEND": ..., "OPTIONS": {...}}}; `consoleline://`
    (the DEBUG default): one console line per e-mail, the message kept in a file
    (config.console_mail)."""
    if url.startswith("consoleline://"):
        return {"default": {"BACKEND": "config.console_mail.OneLineConsoleBackend", "OPTIONS": {}}}
    config = environ.Env.email_url_config(url)
    backend = config["EMAIL_BACKEND"]
    options: dict = {}
    if backend.endswith("smtp.EmailBackend"):
        options = {
            name: config[key]
            for key, name in _SMTP_OPTIONS.items()
            if config.get(key) not in (None, "")
        }
        options.setdefault("timeout", 20)
    elif backend.endswith("filebased.EmailBackend"):
        # django-environ drops the leading slash of an absolute path; read it ourselves.
        options = {"file_path": unquote(urlparse(url).path) or "var/mail"}
    return {"default": {"BACKEND": backend, "OPTIONS": options}}
