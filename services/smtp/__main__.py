"""`python -m services.smtp`: the SMTP front-end from the environment."""

from __future__ import annotations

import logging

from services.common import config, process
from services.common.auth import AuthLimits
from services.common.config import CommonConfig
from services.smtp.config import SmtpConfig
from services.smtp.server import SmtpServer, start


async def start_service(common: CommonConfig) -> SmtpServer:
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    return await start(config.load(SmtpConfig), common, auth_limits=config.load(AuthLimits))


if __name__ == "__main__":
    process.main("smtp", start_service)
