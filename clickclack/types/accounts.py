"""Wire types of the accounts area: the caller's profile (contract section 4) and password
sign-in.  (Magic links and sessions are in ``core``.)"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from clickclack.types.core import NOT_BLANK, WS, In, Out, User, checked, no_ws

# http or https (any case), a host (no user info, no IPv6 literal), an optional port, then
# anything without blanks or control characters.
_CTL = "\\x00-\\x1f"
_HOST_CHAR = no_ws(_CTL + "/?#@\\[\\]:")
AVATAR_URL_PATTERN = (f"^{WS}*([Hh][Tt][Tt][Pp][Ss]?://{_HOST_CHAR}+"
                      f"(:[0-9]{{1,5}})?([/?#]{no_ws(_CTL)}*)?)?{WS}*$")

__all__ = [
    "AppearancePatch",
    "AppearancePreferences",
    "BoardTheme",
    "ColorMode",
    "Density",
    "MeProfile",
    "MessageLayout",
    "NotificationSettings",
    "NotificationSettingsPatch",
    "PasswordChange",
    "PasswordLogin",
    "PatchMe",
    "ProfileUser",
]

# The first non-empty word of each set is the default; "" means "the client's default".
ColorMode = Literal["", "system", "light", "dark"]
BoardTheme = Literal["", "signal", "ember", "moss", "iris"]
MessageLayout = Literal["", "standard", "outlined"]
Density = Literal["", "comfortable", "compact"]


class NotificationSettings(Out, omit_defaults=False):
    pushover_enabled: bool = False
    pushover_user_key: str = ""


class AppearancePreferences(Out):
    """Only the fields the user has set; a missing field means the client's default."""

    color_mode: ColorMode = ""
    board_theme: BoardTheme = ""
    message_layout: MessageLayout = ""
    density: Density = ""


class ProfileUser(User):
    """``User`` plus the caller-only fields of ``/api/me`` (always present there)."""

    password_enrolled: bool | None = None
    notification_settings: NotificationSettings | None = None
    appearance_preferences: AppearancePreferences | None = None


class MeProfile(Out):
    user: ProfileUser


# --- request bodies -----------------------------------------------------------------------

class NotificationSettingsPatch(In):
    """Omitted fields keep their value.  A key is required when notifications are enabled."""

    pushover_enabled: bool | None = None
    # The pattern is declared (issue 9: the description states every bound the handler
    # enforces); the handler checks it after strip() and answers pushover_key_invalid.
    pushover_user_key: Annotated[str, Meta(max_length=64, extra_json_schema={
        "pattern": r"^\s*([A-Za-z0-9]{30})?\s*$"})] | None = None


class AppearancePatch(In):
    """Omitted fields keep their value; "" or the default word resets a field."""

    color_mode: ColorMode | None = None
    board_theme: BoardTheme | None = None
    message_layout: MessageLayout | None = None
    density: Density | None = None


class PatchMe(In):
    """Any subset; an omitted field stays unchanged.  Rules: contract section 4."""

    display_name: Annotated[str, checked(maxLength=80, pattern=NOT_BLANK)] | None = None
    # trimmed, lower-cased (U+212A, the Kelvin sign, lower-cases to "k"), one leading "@"
    # dropped; "" clears the handle
    handle: Annotated[str, Meta(max_length=200), checked(pattern=(
        f"^{WS}*@?([A-Za-z0-9\\u212a][A-Za-z0-9\\u212a_-]{{1,31}})?{WS}*$"))] | None = None
    # once trimmed: "" (the Gravatar fallback) or an http(s) URL with a host name
    avatar_url: Annotated[str, checked(maxLength=500, pattern=AVATAR_URL_PATTERN)] | None = None
    notification_settings: NotificationSettingsPatch | None = None
    appearance_preferences: AppearancePatch | None = None


class PasswordLogin(In):
    identifier: Annotated[str, Meta(max_length=320, description="email address or handle")]
    # Lengths are checked before any hashing (8-256 code points); no schema limit here, so an
    # oversized password gets the specific 400 code.
    password: str


class PasswordChange(In):
    """``current_password`` may be left out only while the account has no password yet (that
    is how a magic-link user enrols)."""

    new_password: str
    current_password: str | None = None


class SignInMethods(Out, omit_defaults=False):
    """What the sign-in page may offer on this server, for this request."""

    dev_sign_in: bool  # one-click Local Captain: dev bootstrap and a loopback request
    magic_link_mail: bool  # links are mailed (SMTP configured)
    password: bool  # --password-auth
