"""What both the database layer and the engine need, importing neither (and no Qt).

``records`` (the typed records a check produces), ``errors`` (the typed errors), ``generations``
(API generations and the typed series identity), ``links`` (what a pasted link names),
``numbers`` (a chapter's number from its display name), ``schedules`` (a schedule decision),
``ratings`` (content ratings that keep a series out of toasts).
"""
