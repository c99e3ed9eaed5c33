"""The dashboard at ``/ui`` and the admin sign-in (session cookie, CSRF) it shares with the admin API."""
