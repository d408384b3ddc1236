"""The OCPP central system: charge points connect over WebSockets (1.6J and 2.0.1), report sessions and meters,
and follow the approved plan's schedules. See README "Charger control".

The ``ocpp`` library checks every message against the protocol's JSON schemas; by default it does so in the event
loop's thread pool, one thread hop per message. Here the check runs on the loop itself (the library's switch,
``ocpp.messages.ASYNC_VALIDATION``): a check takes well under a millisecond, and the hops were the larger cost. With
200 chargers and a re-plan sending each its schedule, the time until all were confirmed fell from 1.7-1.9 s to
1.0-1.1 s (bench/RESULTS.md, ``bench/ocpp.py``).
"""

import ocpp.messages

ocpp.messages.ASYNC_VALIDATION = False
