"""Application services: what the chat edge calls (plan and submit a move, decide on a
request, assess a subscription). Each service is one entry point the edge guards and renders.

May import every package of the domain.
"""
