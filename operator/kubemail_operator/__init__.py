"""kubemail operator: reconciles MailDomain and MailUser custom resources into the metadata service."""

GROUP = "kubemail.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
DOMAINS = "maildomains"
USERS = "mailusers"
