"""Helpers shared by the Python benchmark scripts in bench/ (loopback only)."""
import resource, socket, sys

def raise_nofile(n):
    """Raises the soft open-file limit to the hard one; exits if n sockets won't fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < n + 100:
        sys.exit(f"open-file limit {hard} is too low for {n} connections")

def free_port():
    """A loopback port nobody listens on right now."""
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
