//! System fields: `health` and `viewer`.

use crate::kernel::{Principal, Role, TeamScope};
use async_graphql::{Context, Object, Result, SimpleObject};

#[derive(Default)]
pub struct SystemQuery;

/// Who the caller is.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The user (JWT `sub`, or `api-key:<prefix>`).
    pub user: String,
    /// The caller's role.
    pub role: Role,
    /// The caller's team.
    pub team: TeamView,
}

/// A team as seen by its members.
#[derive(SimpleObject)]
pub struct TeamView {
    /// URL-safe identifier.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Default IANA timezone of the team's dashboards.
    pub timezone: String,
    /// ISO 4217 currency of the team.
    pub currency: String,
}

/// Fields that need no dashboard.
#[Object]
impl SystemQuery {
    /// Always `"ok"` when the gateway answers; needs no credentials.
    async fn health(&self) -> &'static str {
        "ok"
    }

    /// The authenticated caller and their team.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let principal = ctx.data_opt::<Principal>();
        let scope = TeamScope::require(principal, Role::Viewer)?;
        let team = scope.team();
        let user = principal.map(|p| p.user.clone()).unwrap_or_default();
        Ok(Viewer {
            user,
            role: scope.role(),
            team: TeamView {
                slug: team.slug.clone(),
                name: team.name.clone(),
                timezone: team.timezone.name().to_string(),
                currency: team.currency.clone(),
            },
        })
    }
}
