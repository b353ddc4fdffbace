"""The request contract: every request checked against botocore's model of its service.

`services` tells which operation a request is, `extract` rebuilds its parameters as sent,
`rules` checks them, `answers` refuses a violation the way the service would, `violations`
keeps the record, and `middleware` puts it all in front of moto. See docs/emulator.md.
"""
