"""The Teams API (spec §8.3): a team's token lists its members and invitations, invites
people (who join only when they accept), removes members and withdraws invitations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import team_invitations, teams, users
from overpush.errors import ApiError, E

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()
TRUE = ("1", "true", "yes")


def _yes(raw: str | None) -> bool:
    return (raw or "").strip().lower() in TRUE


@router.get("/1/teams.json", summary="A team's members, invitations and group",
            description="With the team's API token (`token`): the team's `name`, its members "
                        "(`users`, with their devices), the pending `invitations` (only the "
                        "address, name and role the team gave) and the key of the team's "
                        "auto-updating delivery `group`.")
async def show(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        team = await teams.team_for_token(session, params.get("token"))
        group = await teams.auto_group(session, team, rt.clock.now())
        users = await teams.members_view(session, team)
        invited = await team_invitations.team_view(session, team, rt.clock.now())
    return ok(rid, name=team.name, group=group.group_key, users=users, invitations=invited)


@router.post("/1/teams/add_user.json", summary="Invite a person to the team",
             description="`email` (required), `name`, `password` (at least 8 characters; "
                         "blank: the person chooses one), `instant` (`true`: the link also "
                         "signs a new account in), `admin` (`true`), `group` (a team group's "
                         "name, created if missing). The person gets a mail and joins (with "
                         "the group) only when they accept; the answer is the same whether or "
                         "not the address has an account.")
async def add_user(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        team = await teams.team_for_token(session, params.get("token"))
    inv = team_invitations.check(params.get("email"), params.get("name"),
                                 _yes(params.get("admin")), params.get("group"),
                                 params.get("password"), _yes(params.get("instant")))
    await team_invitations.invite(rt, team, inv)
    return ok(rid)


@router.post("/1/teams/remove_user.json", summary="Remove a member, or withdraw an invitation",
             description="`email`: the member leaves the team and its groups; a pending "
                         "invitation to that address is withdrawn.")
async def remove_user(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    email = (params.get("email") or "").strip()
    async with rt.sessions() as session, session.begin():
        team = await teams.team_for_token(session, params.get("token"))
        if email and await team_invitations.revoke(session, team, email):
            return ok(rid)
        user_id = await users.id_for_email(session, email) if email else None
        if user_id is None:
            raise ApiError.of(E.TEAM_MEMBER_MISSING)
        await teams.remove_member(session, team.id, user_id)
    return ok(rid)


@router.post("/1/teams/revoke_invitation.json", summary="Withdraw a pending invitation",
             description="`email`: the invitation to that address stops working (an account "
                         "it made, never confirmed, is deleted).")
async def revoke_invitation(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    email = (params.get("email") or "").strip()
    async with rt.sessions() as session, session.begin():
        team = await teams.team_for_token(session, params.get("token"))
        if not email or not await team_invitations.revoke(session, team, email):
            raise ApiError.of(E.TEAM_INVITATION_MISSING)
    return ok(rid)
