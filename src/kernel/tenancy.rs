//! Who is asking: principals, roles and the `TeamScope` every domain query requires.

use super::error::AppError;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A team's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TeamId(pub i64);

/// What a credential may do. Ordered: a higher role includes the lower ones.
#[derive(
    async_graphql::Enum,
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Only sends real-user timing events (`POST /v1/events`): a publishable key, safe to
    /// embed in a web page.
    Publishable,
    /// Reads dashboards and manages its own presets.
    Viewer,
    /// Also manages team presets and ingests data.
    Editor,
    /// Also manages API keys.
    Admin,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "PUBLISHABLE" => Ok(Role::Publishable),
            "VIEWER" => Ok(Role::Viewer),
            "EDITOR" => Ok(Role::Editor),
            "ADMIN" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}` (PUBLISHABLE, VIEWER, EDITOR, ADMIN)"
            )),
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Publishable => "PUBLISHABLE",
            Role::Viewer => "VIEWER",
            Role::Editor => "EDITOR",
            Role::Admin => "ADMIN",
        }
    }
}

/// The team a principal belongs to, as loaded at authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamInfo {
    pub id: TeamId,
    pub slug: String,
    pub name: String,
    pub timezone: Tz,
    pub currency: String,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub team: TeamInfo,
    pub user: String,
    pub role: Role,
}

/// Proof that a query runs for one authenticated team. Only an authenticated `Principal`
/// can produce one; every function reading or writing domain data takes it.
#[derive(Debug, Clone)]
pub struct TeamScope {
    team: TeamInfo,
    user: String,
    role: Role,
}

impl TeamScope {
    /// The scope of an authenticated principal, if its role is at least `min_role`.
    pub fn require(principal: Option<&Principal>, min_role: Role) -> Result<Self, AppError> {
        let p = principal.ok_or(AppError::Unauthenticated)?;
        if p.role < min_role {
            return Err(AppError::Forbidden(format!(
                "this needs role {} (you have {})",
                min_role.as_str(),
                p.role.as_str()
            )));
        }
        Ok(TeamScope {
            team: p.team.clone(),
            user: p.user.clone(),
            role: p.role,
        })
    }

    pub fn team_id(&self) -> TeamId {
        self.team.id
    }
    pub fn team(&self) -> &TeamInfo {
        &self.team
    }
    pub fn timezone(&self) -> Tz {
        self.team.timezone
    }
    pub fn role(&self) -> Role {
        self.role
    }
    /// The authenticated user (JWT `sub`, or `api-key:<prefix>`).
    pub fn user(&self) -> &str {
        &self.user
    }
}
