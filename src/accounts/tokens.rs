//! JWTs (HS256) with claims `sub`, `team`, `role`, `exp` and, when present, `nbf`.

use crate::kernel::{AppError, AppResult, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use rand::distr::Alphanumeric;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

/// The claims dashgate reads from a JWT.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: String,
    /// The team's slug.
    pub team: String,
    /// `VIEWER`, `EDITOR` or `ADMIN`.
    pub role: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch (optional; a token is refused before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// Seconds a token's `nbf` may lie ahead of the gateway's clock (clock skew between issuers).
pub const NBF_LEEWAY_SECONDS: i64 = 60;

/// Signing and verification keys.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    /// Mints a token for `user` of team `team_slug`, valid until `exp` (epoch seconds).
    pub fn mint(&self, team_slug: &str, user: &str, role: Role, exp: i64) -> AppResult<String> {
        let claims = Claims {
            sub: user.into(),
            team: team_slug.into(),
            role: role.as_str().into(),
            exp,
            nbf: None,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// Verifies the signature, and the expiry against the gateway's clock (`now`, so a
    /// pinned `DASHGATE_NOW` and the tokens minted under it agree).
    pub fn verify(&self, token: &str, now: i64) -> AppResult<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| {
                // The parser's words stay in the log; the client learns only which broad kind.
                tracing::debug!(error = %e, "token rejected");
                use jsonwebtoken::errors::ErrorKind as K;
                let what = match e.kind() {
                    K::InvalidSignature => "the token's signature does not match",
                    K::InvalidAlgorithm | K::InvalidAlgorithmName => "the token is not HS256",
                    K::MissingRequiredClaim(_) => "the token lacks a required claim",
                    _ => "the credential is not a token this gateway issued",
                };
                AppError::InvalidCredentials(what.into())
            })?;
        if claims.exp <= now {
            return Err(AppError::InvalidCredentials("the token has expired".into()));
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + NBF_LEEWAY_SECONDS) {
            return Err(AppError::InvalidCredentials(
                "the token is not valid yet (`nbf` is in the future)".into(),
            ));
        }
        Ok(claims)
    }
}

const SECRET_KEY: &str = "jwt_secret";

/// The configured secret, or the one generated on first use and kept in `gateway_meta`
/// (so tokens survive restarts).
pub async fn load_or_create_secret(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    let select = Query::select()
        .column(Alias::new("value"))
        .from(Alias::new("gateway_meta"))
        .and_where(Expr::col(Alias::new("key")).eq(SECRET_KEY))
        .to_owned();
    if let Some(row) = db.query_one(&select).await? {
        return row
            .try_get_by_index::<String>(0)
            .map_err(|e| DbErr::Type(format!("{e:?}")));
    }
    let secret: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(48)
        .map(char::from)
        .collect();
    let insert = Query::insert()
        .into_table(Alias::new("gateway_meta"))
        .columns([Alias::new("key"), Alias::new("value")])
        .values_panic([SECRET_KEY.into(), secret.clone().into()])
        .on_conflict(
            OnConflict::column(Alias::new("key"))
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await?;
    // Another instance may have won the race: read back what is stored.
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(SECRET_KEY.into()))?;
    row.try_get_by_index::<String>(0)
        .map_err(|e| DbErr::Type(format!("{e:?}")))
}
