"""Team invitations, as the invited person answers them: from the link in the mail (no log-in
needed: the link is the proof the mail arrived) or on the dashboard. Accepting and declining
are forms (POST): a mail scanner that opens the link changes nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from overpush import team_invitations
from overpush.errors import ApiError
from overpush.models import User
from overpush.runtime import Runtime

from services.api.deps import RuntimeDep
from services.api.web import wording
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, ViewerDep, start_session

router = APIRouter(include_in_schema=False)
Opt = Annotated[str, Form()]


async def _gone(request: Request) -> HTMLResponse:
    return await page(request, "notice.html", 400, title="Invitation not valid",
                      text="This invitation is unknown, was answered already, was withdrawn "
                           "or has expired. Ask the team's administrator for a new one.")


@router.get("/invitations/{token}")
async def invitation_page(request: Request, token: str, rt: RuntimeDep) -> HTMLResponse:
    pending = await team_invitations.by_token(rt, token)
    if pending is None:
        return await _gone(request)
    return await page(request, "invitation.html", invitation=pending, token=token)


@router.post("/invitations/{token}/accept")
async def accept_by_link(request: Request, token: str, rt: RuntimeDep, _: CsrfDep,
                         password: Opt = "") -> Response:
    pending = await team_invitations.by_token(rt, token)
    if pending is None:
        return await _gone(request)
    try:
        await team_invitations.accept(
            rt, pending, password if pending.choose_password else None)
    except ApiError as exc:
        return await page(request, "invitation.html", 400, invitation=pending, token=token,
                          error=wording.explain(exc))
    if pending.new_account and pending.instant:  # Instant Login: signed in by the link
        response = redirect("/?notice=team_joined")
        await start_session(rt, request, response, await _user(rt, pending.user_id))
        return response
    return await page(request, "notice.html", title=f"You joined {pending.team}",
                      text=_joined(pending.team, pending.new_account),
                      link=("/login", "Log in"))


@router.post("/invitations/{token}/decline")
async def decline_by_link(request: Request, token: str, rt: RuntimeDep,
                          _: CsrfDep) -> Response:
    pending = await team_invitations.by_token(rt, token)
    if pending is None:
        return await _gone(request)
    await team_invitations.decline(rt, pending)
    return await page(request, "notice.html", title="Invitation declined",
                      text=f"You did not join {pending.team}. The team sees nothing about you.")


@router.post("/team/invitations/{invitation_id}/{answer}")
async def answer_on_dashboard(request: Request, invitation_id: int, answer: str,
                              rt: RuntimeDep, who: ViewerDep, _: CsrfDep) -> Response:
    mine = {p.id: p for p in await team_invitations.for_user(rt, who.user.id)}
    pending = mine.get(invitation_id)
    if pending is None or answer not in ("accept", "decline"):
        return redirect("/")
    if answer == "decline":
        await team_invitations.decline(rt, pending)
        return redirect("/?notice=team_declined")
    try:
        await team_invitations.accept(rt, pending)
    except ApiError as exc:
        return await page(request, "notice.html", 400, user=who.user,
                          title="Could not join", text=wording.explain(exc).text,
                          link=("/", "Back to your dashboard"))
    return redirect("/?notice=team_joined")


def _joined(team: str, new_account: bool) -> str:
    first = "Your address is confirmed. " if new_account else ""
    return (f"{first}You are a member of {team}: its administrators see your e-mail address, "
            "user key and device names, and its groups can reach your devices.")


async def _user(rt: Runtime, user_id: int) -> User:
    async with rt.sessions() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user
