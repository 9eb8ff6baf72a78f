//! `openapi.yaml` is true: real responses of every function (the dev server's router over the
//! embedded backend and the offline provider) are validated against the operation's response
//! schema (JSON Schema 2020-12, as OpenAPI 3.1 uses) and its required headers — success and
//! error cases — and the requests the cases send as valid are valid by the document too.
//! Every operation in the document must be exercised at least once.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use system_tests::{TestServer, client, token};

/// The parsed document.
struct Spec {
    doc: Value,
}

fn yaml_to_json(v: serde_yaml_ng::Value) -> Value {
    serde_json::to_value(v).expect("openapi.yaml holds plain JSON-compatible YAML")
}

impl Spec {
    fn load() -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
        let text = std::fs::read_to_string(&path).expect("read openapi.yaml");
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&text).expect("openapi.yaml parses");
        let doc = yaml_to_json(yaml);
        assert_eq!(doc["openapi"], "3.1.0");
        Self { doc }
    }

    /// Follows a local `$ref` (`#/components/...`).
    fn deref<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.strip_prefix('#').expect("local $ref");
                self.deref(
                    self.doc
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("{r} resolves")),
                )
            }
            None => v,
        }
    }

    fn operation(&self, path: &str, method: &Method) -> Option<&Value> {
        self.doc["paths"]
            .get(path)
            .and_then(|p| p.get(method.as_str().to_ascii_lowercase()))
    }

    /// Every documented operation, as (METHOD, path).
    fn operations(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for m in ["get", "put", "post", "patch", "delete"] {
                if item.get(m).is_some() {
                    out.insert((m.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    /// A validator for `schema` with the document's components reachable by `$ref`.
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut root = Map::new();
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("components".into(), self.doc["components"].clone());
        root.insert("allOf".into(), json!([schema]));
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("schema compiles: {e}: {schema}"))
    }

    fn schema_errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        self.validator(schema)
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

/// One case's outcome, checked against the document.
struct Conformance {
    spec: Spec,
    problems: Vec<String>,
    covered: BTreeSet<(String, String)>,
    statuses: BTreeSet<(String, u16)>,
}

impl Conformance {
    fn new() -> Self {
        Self {
            spec: Spec::load(),
            problems: Vec::new(),
            covered: BTreeSet::new(),
            statuses: BTreeSet::new(),
        }
    }

    /// Validates a request body the case sends as valid.
    fn check_request(&mut self, label: &str, path: &str, method: &Method, body: &Value) {
        let Some(op) = self.spec.operation(path, method) else {
            self.problems
                .push(format!("{label}: {method} {path} is not documented"));
            return;
        };
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        if schema.is_null() {
            self.problems.push(format!(
                "{label}: {method} {path} documents no request body"
            ));
            return;
        }
        let schema = schema.clone();
        for e in self.spec.schema_errors(&schema, body) {
            self.problems.push(format!(
                "{label}: request body not valid by openapi.yaml: {e}"
            ));
        }
    }

    /// Validates one real response.
    fn check_response(&mut self, label: &str, path: &str, method: &Method, answer: &Answer) {
        let Answer {
            status,
            headers,
            body,
            test_mode,
        } = answer;
        let (status, test_mode) = (*status, *test_mode);
        let function = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("")
            .to_string();
        self.statuses.insert((function, status.as_u16()));
        if !headers.contains_key("x-request-id") {
            self.problems
                .push(format!("{label}: {status} without X-Request-Id"));
        }
        let Some(op) = self.spec.operation(path, method) else {
            // An undocumented method on a documented path: only 405 (error envelope) is right.
            if status != StatusCode::METHOD_NOT_ALLOWED {
                self.problems.push(format!(
                    "{label}: {method} {path} is undocumented yet answered {status}"
                ));
            }
            let envelope = json!({ "$ref": "#/components/schemas/ErrorEnvelope" });
            for e in self.spec.schema_errors(&envelope, body) {
                self.problems.push(format!("{label}: {e}"));
            }
            return;
        };
        self.covered
            .insert((method.as_str().to_string(), path.to_string()));
        let Some(response) = op["responses"].get(status.as_str()) else {
            self.problems.push(format!(
                "{label}: {method} {path} answered {status}, which openapi.yaml does not document: {body}"
            ));
            return;
        };
        let response = self.spec.deref(response).clone();
        let schema = response["content"]["application/json"]["schema"].clone();
        if schema.is_null() {
            self.problems
                .push(format!("{label}: {status} has no documented schema"));
        } else {
            for e in self.spec.schema_errors(&schema, body) {
                self.problems.push(format!(
                    "{label}: {method} {path} {status}: {e}\n    body: {body}"
                ));
            }
        }
        if let Some(hs) = response["headers"].as_object() {
            for (name, h) in hs {
                let h = self.spec.deref(h).clone();
                let value = headers.get(name.as_str()).and_then(|v| v.to_str().ok());
                // Test mode counts nothing, so it sends no rate-limit headers (documented).
                let counted = !(test_mode && name.starts_with("X-RateLimit-"));
                match value {
                    None if h["required"] == true && counted => self.problems.push(format!(
                        "{label}: {status} lacks the required header {name}"
                    )),
                    Some(v) if h["schema"]["type"] == "integer" && v.parse::<i64>().is_err() => {
                        self.problems
                            .push(format!("{label}: header {name} is not an integer: {v}"))
                    }
                    _ => {}
                }
            }
        }
    }
}

/// What came back.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    /// The request carried `X-Test-Mode: true`.
    test_mode: bool,
}

/// One HTTP exchange.
struct Call<'a> {
    label: &'a str,
    method: Method,
    function: &'a str,
    /// Path after the function (`/3f25…`), and its template (`/heroes/{hero_id}`).
    path: String,
    template: &'a str,
    body: Option<Value>,
    raw_body: Option<Vec<u8>>,
    user: Option<&'a str>,
    headers: Vec<(&'a str, &'a str)>,
    /// The request is meant to be valid (its body is checked against the document).
    valid: bool,
}

impl<'a> Call<'a> {
    fn new(label: &'a str, method: Method, function: &'a str, template: &'a str) -> Self {
        Self {
            label,
            method,
            function,
            path: String::new(),
            template,
            body: None,
            raw_body: None,
            user: Some("conformance-user"),
            headers: Vec::new(),
            valid: false,
        }
    }
    fn path(mut self, p: impl Into<String>) -> Self {
        self.path = p.into();
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    fn raw(mut self, body: Vec<u8>) -> Self {
        self.raw_body = Some(body);
        self
    }
    fn user(mut self, user: Option<&'a str>) -> Self {
        self.user = user;
        self
    }
    fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }
    fn valid(mut self) -> Self {
        self.valid = true;
        self
    }

    async fn send(self, server: &TestServer, c: &mut Conformance) -> (StatusCode, Value) {
        if self.valid
            && let Some(b) = &self.body
        {
            c.check_request(self.label, self.template, &self.method, b);
        }
        let mut req = client().request(self.method.clone(), server.url(self.function, &self.path));
        if let Some(u) = self.user {
            req = req.bearer_auth(token(u));
        }
        for (k, v) in &self.headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = &self.body {
            // The app's labelling: JSON as application/octet-stream.
            req = req
                .header("content-type", "application/octet-stream")
                .body(serde_json::to_vec(b).expect("json"));
        } else if let Some(raw) = self.raw_body {
            req = req.body(raw);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.label));
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(
            |_| json!({ "__not_json__": String::from_utf8_lossy(&bytes).into_owned() }),
        );
        let test_mode = self
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("x-test-mode") && *v == "true");
        let answer = Answer {
            status,
            headers,
            body,
            test_mode,
        };
        c.check_response(self.label, self.template, &self.method, &answer);
        let Answer { status, body, .. } = answer;
        (status, body)
    }
}

const HERO_ID: &str = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";

fn hero_body() -> Value {
    json!({
        "name": "Luna",
        "primary_trait": "Brave",
        "secondary_trait": "Kind",
        "appearance": "curly red hair and a green raincoat",
        "special_ability": "talks to friendly owls",
        "age": 6
    })
}

fn expect(label: &str, got: StatusCode, want: u16, body: &Value) {
    assert_eq!(got.as_u16(), want, "{label}: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_answers_as_openapi_yaml_documents() {
    let s = TestServer::start().await;
    let mut c = Conformance::new();
    let hero_path = format!("/{HERO_ID}");
    let lower_hero = HERO_ID.to_ascii_lowercase();
    let missing = "/0b7e9c1a-6f0e-4e8e-9a43-3b1d2f5c7e90";

    // ---------------------------------------------------------------- health
    let (st, v) = Call::new("health GET", Method::GET, "health", "/health")
        .user(None)
        .send(&s, &mut c)
        .await;
    expect("health GET", st, 200, &v);
    let (st, v) = Call::new("health POST forced", Method::POST, "health", "/health")
        .user(None)
        .header("x-health-check", "true")
        .send(&s, &mut c)
        .await;
    expect("health POST", st, 200, &v);
    let (st, v) = Call::new("health unknown route", Method::GET, "health", "/health")
        .path("/nope")
        .user(None)
        .send(&s, &mut c)
        .await;
    expect("health 404", st, 404, &v);
    let (st, v) = Call::new("health PUT", Method::PUT, "health", "/health")
        .user(None)
        .send(&s, &mut c)
        .await;
    expect("health 405", st, 405, &v);

    // ---------------------------------------------------------------- heroes
    let (st, v) = Call::new(
        "heroes PUT create",
        Method::PUT,
        "heroes",
        "/heroes/{hero_id}",
    )
    .path(&hero_path)
    .json(hero_body())
    .valid()
    .send(&s, &mut c)
    .await;
    expect("heroes PUT create", st, 201, &v);
    assert_eq!(v["data"]["id"], lower_hero);
    let (st, v) = Call::new(
        "heroes PUT replace",
        Method::PUT,
        "heroes",
        "/heroes/{hero_id}",
    )
    .path(&hero_path)
    .json(hero_body())
    .valid()
    .send(&s, &mut c)
    .await;
    expect("heroes PUT replace", st, 200, &v);
    let (st, v) = Call::new("heroes POST", Method::POST, "heroes", "/heroes")
        .json(json!({"name": "Max", "primary_trait": "Curious", "secondary_trait": "Funny", "appearance": "a blue cap", "special_ability": "fast as the wind"}))
        .valid()
        .send(&s, &mut c)
        .await;
    expect("heroes POST", st, 201, &v);
    let second = v["data"]["id"].as_str().unwrap_or_default().to_string();
    let (st, v) = Call::new("heroes PATCH", Method::PATCH, "heroes", "/heroes/{hero_id}")
        .path(format!("/{second}"))
        .json(json!({"age": 7, "visual_profile": {"hair_color": "brown", "distinctive_features": ["freckles"]}}))
        .valid()
        .send(&s, &mut c)
        .await;
    expect("heroes PATCH", st, 200, &v);
    let (st, v) = Call::new("heroes GET one", Method::GET, "heroes", "/heroes/{hero_id}")
        .path(&hero_path)
        .send(&s, &mut c)
        .await;
    expect("heroes GET one", st, 200, &v);
    let (st, v) = Call::new("heroes GET list", Method::GET, "heroes", "/heroes")
        .path("?limit=1")
        .send(&s, &mut c)
        .await;
    expect("heroes GET list", st, 200, &v);
    assert!(
        v["data"]["next_cursor"].is_string(),
        "two heroes, a page of one: {v}"
    );
    let (st, v) = Call::new("heroes no token", Method::GET, "heroes", "/heroes")
        .user(None)
        .send(&s, &mut c)
        .await;
    expect("heroes 401", st, 401, &v);
    let (st, v) = Call::new("heroes bad id", Method::GET, "heroes", "/heroes/{hero_id}")
        .path("/not-a-uuid")
        .send(&s, &mut c)
        .await;
    expect("heroes 400 id", st, 400, &v);
    let (st, v) = Call::new("heroes unknown", Method::GET, "heroes", "/heroes/{hero_id}")
        .path(missing)
        .send(&s, &mut c)
        .await;
    expect("heroes 404", st, 404, &v);
    let (st, v) = Call::new("heroes invalid fields", Method::POST, "heroes", "/heroes")
        .json(json!({"name": "", "primary_trait": 5, "age": 99}))
        .send(&s, &mut c)
        .await;
    expect("heroes 400 fields", st, 400, &v);
    assert!(v["error"]["details"]["fields"].is_array(), "{v}");
    let (st, v) = Call::new("heroes not an object", Method::POST, "heroes", "/heroes")
        .raw(b"[1, 2, 3]".to_vec())
        .send(&s, &mut c)
        .await;
    expect("heroes 400 body", st, 400, &v);
    let (st, v) = Call::new("heroes too large", Method::POST, "heroes", "/heroes")
        .raw(vec![b' '; 300 * 1024])
        .send(&s, &mut c)
        .await;
    expect("heroes 413", st, 413, &v);
    let mut unsafe_hero = hero_body();
    unsafe_hero["special_ability"] = json!("can shoot people with a gun");
    let (st, v) = Call::new("heroes unsafe", Method::PUT, "heroes", "/heroes/{hero_id}")
        .path(missing)
        .json(unsafe_hero)
        .send(&s, &mut c)
        .await;
    expect("heroes 422", st, 422, &v);
    let (st, v) = Call::new(
        "heroes POST on an id",
        Method::POST,
        "heroes",
        "/heroes/{hero_id}",
    )
    .path(&hero_path)
    .json(hero_body())
    .send(&s, &mut c)
    .await;
    expect("heroes 405", st, 405, &v);

    // ------------------------------------------------------- story-generation
    let story_request = json!({
        "hero_id": HERO_ID,
        "event": {"type": "built_in", "data": {"name": "Bedtime Adventure"}},
        "target_duration": 120,
        "language": "en"
    });
    let (st, v) = Call::new(
        "story-generation",
        Method::POST,
        "story-generation",
        "/story-generation",
    )
    .json(story_request.clone())
    .valid()
    .send(&s, &mut c)
    .await;
    expect("story-generation", st, 200, &v);
    let story_id = v["data"]["story_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let content = v["data"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (st, v) = Call::new("story-generation test mode", Method::POST, "story-generation", "/story-generation")
        .json(json!({"hero_id": HERO_ID, "event": {"type": "custom", "data": {"title": "Picnic", "prompt_seed": "a picnic in the park with friends"}}, "language": "fr", "target_duration": 90}))
        .header("x-test-mode", "true")
        .valid()
        .send(&s, &mut c)
        .await;
    expect("story-generation test mode", st, 200, &v);
    assert_eq!(v["meta"]["provider"], "offline");
    let (st, v) = Call::new("story-generation unknown event", Method::POST, "story-generation", "/story-generation")
        .json(json!({"hero_id": HERO_ID, "event": {"type": "built_in", "data": {"name": "Moon Landing Party"}}}))
        .send(&s, &mut c)
        .await;
    expect("story-generation 400", st, 400, &v);
    let (st, v) = Call::new("story-generation unknown hero", Method::POST, "story-generation", "/story-generation")
        .json(json!({"hero_id": missing.trim_start_matches('/'), "event": {"type": "built_in", "data": {"name": "Family Time"}}}))
        .send(&s, &mut c)
        .await;
    expect("story-generation 404", st, 404, &v);
    let (st, v) = Call::new(
        "story-generation no token",
        Method::POST,
        "story-generation",
        "/story-generation",
    )
    .json(story_request.clone())
    .user(None)
    .send(&s, &mut c)
    .await;
    expect("story-generation 401", st, 401, &v);
    let (st, v) = Call::new("story-generation unsafe", Method::POST, "story-generation", "/story-generation")
        .json(json!({"hero_id": HERO_ID, "event": {"type": "custom", "data": {"title": "Night", "prompt_seed": "the hero takes a knife and stabs the teacher until there is blood everywhere"}}}))
        .send(&s, &mut c)
        .await;
    expect("story-generation 422", st, 422, &v);

    // --------------------------------------------------------- extract-scenes
    let (st, v) = Call::new("extract-scenes", Method::POST, "extract-scenes", "/extract-scenes")
        .json(json!({"story_content": content, "story_duration": 120, "hero": {"id": HERO_ID, "name": "Luna"}, "event_context": "Bedtime Adventure"}))
        .valid()
        .send(&s, &mut c)
        .await;
    expect("extract-scenes", st, 200, &v);
    let (st, v) = Call::new(
        "extract-scenes missing text",
        Method::POST,
        "extract-scenes",
        "/extract-scenes",
    )
    .json(json!({"story_duration": 5000}))
    .send(&s, &mut c)
    .await;
    expect("extract-scenes 400", st, 400, &v);

    // -------------------------------------------------------- audio-synthesis
    let (st, v) = Call::new("audio-synthesis", Method::POST, "audio-synthesis", "/audio-synthesis")
        .json(json!({"text": "Once upon a time, Luna said goodnight to the moon and all the stars.", "voice": "coral", "language": "en", "story_id": story_id}))
        .valid()
        .send(&s, &mut c)
        .await;
    expect("audio-synthesis", st, 200, &v);
    let (st, v) = Call::new(
        "audio-synthesis unknown voice",
        Method::POST,
        "audio-synthesis",
        "/audio-synthesis",
    )
    .json(json!({"text": "Hello there, little one.", "voice": "robot"}))
    .send(&s, &mut c)
    .await;
    expect("audio-synthesis 400", st, 400, &v);

    // ------------------------------------------------------ avatar-generation
    let (st, v) = Call::new("avatar-generation", Method::POST, "avatar-generation", "/avatar-generation")
        .json(json!({"hero_id": HERO_ID, "prompt": "a cheerful portrait with a friendly owl", "size": "1024x1024", "quality": "high", "style": "watercolor"}))
        .valid()
        .send(&s, &mut c)
        .await;
    expect("avatar-generation", st, 200, &v);
    let (st, v) = Call::new(
        "avatar-generation short prompt",
        Method::POST,
        "avatar-generation",
        "/avatar-generation",
    )
    .json(json!({"hero_id": HERO_ID, "prompt": "owl"}))
    .send(&s, &mut c)
    .await;
    expect("avatar-generation 400", st, 400, &v);
    let (st, v) = Call::new("avatar-generation unknown hero", Method::POST, "avatar-generation", "/avatar-generation")
        .json(json!({"hero_id": missing.trim_start_matches('/'), "prompt": "a cheerful portrait with a friendly owl"}))
        .send(&s, &mut c)
        .await;
    expect("avatar-generation 404", st, 404, &v);

    // ----------------------------------------------------- scene-illustration
    let (st, v) = Call::new("scene-illustration", Method::POST, "scene-illustration", "/scene-illustration")
        .json(json!({
            "story_id": story_id,
            "hero_id": HERO_ID,
            "scenes": [
                {"prompt": "Luna and a friendly owl look at a glowing pond", "scene_number": 1, "timestamp": 0},
                {"prompt": "Luna and her friends share a picnic under the stars", "scene_number": 2, "timestamp": 30}
            ],
            "process_async": false,
            "hero_visual_profile": {"canonical_prompt": "a girl with curly red hair", "appearance": "green raincoat"}
        }))
        .valid()
        .send(&s, &mut c)
        .await;
    expect("scene-illustration", st, 200, &v);
    let (st, v) = Call::new(
        "scene-illustration no scenes",
        Method::POST,
        "scene-illustration",
        "/scene-illustration",
    )
    .json(json!({"hero_id": HERO_ID, "scenes": []}))
    .send(&s, &mut c)
    .await;
    expect("scene-illustration 400", st, 400, &v);

    // ---------------------------------------------------------------- stories
    let (st, v) = Call::new("stories list", Method::GET, "stories", "/stories")
        .send(&s, &mut c)
        .await;
    expect("stories list", st, 200, &v);
    let (st, v) = Call::new("stories get", Method::GET, "stories", "/stories/{story_id}")
        .path(format!("/{story_id}"))
        .send(&s, &mut c)
        .await;
    expect("stories get", st, 200, &v);
    let (st, v) = Call::new(
        "stories other user",
        Method::GET,
        "stories",
        "/stories/{story_id}",
    )
    .path(format!("/{story_id}"))
    .user(Some("someone-else"))
    .send(&s, &mut c)
    .await;
    expect("stories 404", st, 404, &v);
    let (st, v) = Call::new(
        "stories bad id",
        Method::GET,
        "stories",
        "/stories/{story_id}",
    )
    .path("/42")
    .send(&s, &mut c)
    .await;
    expect("stories 400", st, 400, &v);
    let (st, v) = Call::new("stories no token", Method::GET, "stories", "/stories")
        .user(None)
        .send(&s, &mut c)
        .await;
    expect("stories 401", st, 401, &v);
    let (st, v) = Call::new(
        "stories delete",
        Method::DELETE,
        "stories",
        "/stories/{story_id}",
    )
    .path(format!("/{story_id}"))
    .send(&s, &mut c)
    .await;
    expect("stories delete", st, 200, &v);
    let (st, v) = Call::new(
        "heroes delete",
        Method::DELETE,
        "heroes",
        "/heroes/{hero_id}",
    )
    .path(&hero_path)
    .send(&s, &mut c)
    .await;
    expect("heroes delete", st, 200, &v);

    // ------------------------------------------------------------- rate limit
    let limited = TestServer::start_with(&[("RATE_LIMIT_EXTRACT_SCENES", "1")], None).await;
    let body = json!({"story_content": "Luna walked to the pond. She met an owl. They watched the stars. Then Luna went home to sleep.", "story_duration": 60, "hero": {"name": "Luna"}});
    let (st, v) = Call::new(
        "extract-scenes first",
        Method::POST,
        "extract-scenes",
        "/extract-scenes",
    )
    .json(body.clone())
    .valid()
    .send(&limited, &mut c)
    .await;
    expect("extract-scenes first", st, 200, &v);
    let (st, v) = Call::new(
        "extract-scenes limited",
        Method::POST,
        "extract-scenes",
        "/extract-scenes",
    )
    .json(body)
    .send(&limited, &mut c)
    .await;
    expect("extract-scenes 429", st, 429, &v);

    // ------------------------------------------------------------------ verdict
    let uncovered: Vec<_> = c
        .spec
        .operations()
        .difference(&c.covered)
        .cloned()
        .collect();
    if !uncovered.is_empty() {
        c.problems
            .push(format!("operations no case exercised: {uncovered:?}"));
    }
    for f in config::FunctionName::ALL {
        let name = f.as_str();
        let ok = c
            .statuses
            .iter()
            .any(|(g, s)| g == name && (200..300).contains(s));
        let err = c.statuses.iter().any(|(g, s)| g == name && *s >= 400);
        if !ok || !err {
            c.problems.push(format!(
                "{name}: needs a success and an error case (have {:?})",
                c.statuses
                    .iter()
                    .filter(|(g, _)| g == name)
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        c.problems.is_empty(),
        "responses and openapi.yaml disagree:\n  {}",
        c.problems.join("\n  ")
    );
}

#[test]
fn the_document_is_well_formed() {
    let spec = Spec::load();
    // Every schema compiles as JSON Schema 2020-12 and every local $ref resolves.
    for (name, schema) in spec.doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        let _ = spec.validator(&json!({ "$ref": format!("#/components/schemas/{name}") }));
        let _ = schema;
    }
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&spec.doc, &mut all);
    for r in all {
        let pointer = r.strip_prefix('#').expect("local");
        assert!(spec.doc.pointer(pointer).is_some(), "{r} resolves");
    }
    // The validators are not vacuous: wrong shapes, types and formats are caught.
    let hero = json!({ "$ref": "#/components/schemas/HeroEnvelope" });
    for bad in [
        json!({"success": true}),
        json!({"success": true, "data": {"id": "x"}, "meta": {"request_id": "r", "processing_time": 1, "cached": false}}),
    ] {
        assert!(
            !spec.schema_errors(&hero, &bad).is_empty(),
            "{bad} is refused"
        );
    }
    let error = json!({ "$ref": "#/components/schemas/ErrorEnvelope" });
    let mut e = json!({"success": false, "error": {"code": "NOT_FOUND", "message": "Hero not found"}, "request_id": "r", "timestamp": "2026-01-01T00:00:00.000Z"});
    assert!(spec.schema_errors(&error, &e).is_empty());
    e["timestamp"] = json!("yesterday");
    assert!(
        !spec.schema_errors(&error, &e).is_empty(),
        "formats are validated"
    );
    e["timestamp"] = json!("2026-01-01T00:00:00.000Z");
    e["error"]["code"] = json!("TEAPOT");
    assert!(
        !spec.schema_errors(&error, &e).is_empty(),
        "codes are an enum"
    );

    // Every function has its paths; every operation documents its auth and its errors.
    for f in config::FunctionName::ALL {
        let path = format!("/{}", f.as_str());
        assert!(
            spec.doc["paths"].get(&path).is_some(),
            "{path} is documented"
        );
    }
    for (method, path) in spec.operations() {
        let op = spec
            .operation(
                &path,
                &Method::from_bytes(method.as_bytes()).expect("method"),
            )
            .expect("op");
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{method} {path} documents a success"
        );
        if path != "/health" {
            assert!(
                responses.contains_key("401"),
                "{method} {path} documents 401 (bearer JWT)"
            );
        }
    }
}
