"""One request through the gateway, in explicit stages over a :class:`RequestContext`.

ingress -> authenticate -> admit -> route -> attempt -> relay -> account; gateway
features hook in at named points (:mod:`interlingua.server.pipeline.hooks`).
The design, with every stage, hook and context field: ``docs/design/pipeline.md``.
"""
