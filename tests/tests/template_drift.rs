//! `template.yaml` agrees with the code: one SAM function per function crate (and back), every
//! variable the code reads in production is set for every function (secrets by reference), every
//! function has a Function URL, its three alarms and a policy scoped to named resources, and the
//! table is the one `infra/dynamodb-table.json` defines (which local services and the AWS
//! contract tests create). Offline: this reads files only.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Variables the code reads that a deployed stack must not set, and why.
const LOCAL_ONLY: &[(&str, &str)] = &[
    (
        "DEV_ADDR",
        "listen address of the local dev server; a Lambda function does not listen",
    ),
    (
        "DATA_DIR",
        "directory of the embedded backend; the stack runs STORAGE_BACKEND=aws",
    ),
    (
        "PUBLIC_BASE_URL",
        "base of the dev server's own signed media URLs; on AWS media are presigned S3 URLs",
    ),
    (
        "DEV_ANON_USER_ID",
        "lets anonymous tokens act as a dev user: for laptops only, refused in production",
    ),
];

/// (function, variable, why that function does without it).
const NOT_NEEDED_BY: &[(&str, &str, &str)] = &[(
    "stories",
    "OPENAI_API_KEY",
    "lists, reads and deletes stored stories: no AI call, so no provider key",
)];

/// Table properties the template adds to `infra/dynamodb-table.json` (stage-specific or
/// AWS-only settings a local server does not model).
const TABLE_EXTRAS: &[&str] = &[
    "TableName",
    "SSESpecification",
    "DeletionProtectionEnabled",
    "Tags",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// YAML with CloudFormation short-form tags as JSON: `!Ref X` becomes `{"!Ref": "X"}`.
fn to_json(v: &serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                json!(n.as_f64())
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s.clone(),
                        other => serde_yaml_ng::to_string(other)
                            .expect("key")
                            .trim()
                            .to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => {
            let mut m = Map::new();
            m.insert(t.tag.to_string(), to_json(&t.value));
            Value::Object(m)
        }
    }
}

fn template() -> Value {
    let path = root().join("template.yaml");
    let text = std::fs::read_to_string(&path).expect("read template.yaml");
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("template.yaml parses");
    to_json(&yaml)
}

fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

/// Every `AWS::Serverless::Function`, by the binary it builds: (logical id, resource).
fn functions(t: &Value) -> BTreeMap<String, (String, Value)> {
    let mut out = BTreeMap::new();
    for (id, r) in resources(t) {
        if r["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = r["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: Metadata.BuildProperties.Binary names its crate"))
            .to_string();
        assert!(
            out.insert(binary.clone(), (id.clone(), r.clone()))
                .is_none(),
            "two template functions build {binary}"
        );
    }
    out
}

fn function_crates() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The environment a function gets: Globals merged with its own (its own wins).
fn environment(t: &Value, f: &Value) -> Map<String, Value> {
    let mut env = t["Globals"]["Function"]["Environment"]["Variables"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(own) = f["Properties"]["Environment"]["Variables"].as_object() {
        env.extend(own.clone());
    }
    env
}

/// Every policy statement of a function.
fn statements(id: &str, f: &Value) -> Vec<Value> {
    let policies = f["Properties"]["Policies"]
        .as_array()
        .unwrap_or_else(|| panic!("{id} has a Policies list"));
    let mut out = Vec::new();
    for p in policies {
        let list = p["Statement"].as_array().unwrap_or_else(|| {
            panic!(
                "{id}: every policy is an inline document with explicit statements \
                 (no managed policies or broad SAM policy templates): {p}"
            )
        });
        out.extend(list.iter().cloned());
    }
    out
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// The logical ids a CloudFormation expression refers to (`!Ref X`, `!GetAtt X.Arn`,
/// `!Sub "${X.Arn}/*"`).
fn referenced_ids(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("!Ref") {
                out.insert(r.clone());
            }
            if let Some(Value::String(g)) = m.get("!GetAtt") {
                out.insert(g.split('.').next().unwrap_or_default().to_string());
            }
            if let Some(Value::String(s)) = m.get("!Sub") {
                for part in s.split("${").skip(1) {
                    let name = part.split('}').next().unwrap_or_default();
                    out.insert(name.split('.').next().unwrap_or_default().to_string());
                }
            }
            for v in m.values() {
                out.extend(referenced_ids(v));
            }
        }
        Value::Array(a) => a.iter().for_each(|v| out.extend(referenced_ids(v))),
        _ => {}
    }
    out
}

fn camel(name: &str) -> String {
    name.split('-')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Differences between the function crates (and `config::FunctionName::ALL`) and the
/// template's functions.
fn crate_problems(t: &Value, crates: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let in_template: BTreeSet<String> = functions(t).into_keys().collect();
    let listed: BTreeSet<String> = config::FunctionName::ALL
        .iter()
        .map(|f| f.as_str().to_string())
        .collect();
    for c in crates.difference(&in_template) {
        problems.push(format!(
            "function crate {c} has no AWS::Serverless::Function in template.yaml"
        ));
    }
    for f in in_template.difference(crates) {
        problems.push(format!(
            "template function {f} has no crate under functions/ (sam build would fail)"
        ));
    }
    for f in listed.symmetric_difference(&in_template) {
        problems.push(format!(
            "{f} is in only one of config::FunctionName::ALL and template.yaml"
        ));
    }
    problems
}

#[test]
fn every_function_crate_has_a_template_function_and_back() {
    let t = template();
    let problems = crate_problems(&t, &function_crates());
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    for (name, (id, f)) in functions(&t) {
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
        assert_eq!(
            f["Properties"]["CodeUri"],
            format!("functions/{name}"),
            "{id} builds from its crate"
        );
        let fname = f["Properties"]["FunctionName"]["!Sub"]
            .as_str()
            .unwrap_or_default();
        assert!(
            fname.ends_with(&format!("-{name}")),
            "{id}: the Lambda name ends with the crate name: {fname}"
        );
        assert!(
            f["Properties"]["Timeout"]
                .as_u64()
                .is_some_and(|s| s <= 900),
            "{id} has a timeout"
        );
        assert!(
            f["Properties"]["MemorySize"].as_u64().is_some(),
            "{id} has a memory size"
        );
        let rc = &f["Properties"]["ReservedConcurrentExecutions"]["!If"];
        assert!(
            rc.is_array(),
            "{id}: reserved concurrency is a conditional cost guard"
        );
    }
    let g = &t["Globals"]["Function"];
    assert_eq!(g["Runtime"], "provided.al2023");
    assert_eq!(g["Architectures"], json!(["arm64"]));
    assert_eq!(g["LoggingConfig"]["LogFormat"], "JSON");
}

/// Variables the code reads (`variables`) that a function's environment lacks, secrets set in
/// plain text, and variables the template sets that the code never reads.
fn env_problems(t: &Value, variables: &[&str]) -> Vec<String> {
    let local_only: BTreeSet<&str> = LOCAL_ONLY.iter().map(|(v, _)| *v).collect();
    let references: BTreeSet<&str> = secrets::SECRET_VARIABLES
        .iter()
        .map(|s| s.reference)
        .collect();
    let known: BTreeSet<&str> = variables.iter().copied().collect();
    let mut problems = Vec::new();
    for v in &local_only {
        if !known.contains(v) {
            problems.push(format!(
                "LOCAL_ONLY lists {v}, which config::VARIABLES no longer has"
            ));
        }
    }
    for r in &references {
        if !known.contains(r) {
            problems.push(format!(
                "config::VARIABLES must list the secret reference {r}"
            ));
        }
    }
    for (name, (id, f)) in functions(t) {
        let env = environment(t, &f);
        for key in env.keys() {
            if !known.contains(key.as_str()) {
                problems.push(format!(
                    "{id} sets {key}, which the code never reads (config::VARIABLES)"
                ));
            }
            if local_only.contains(key.as_str()) {
                problems.push(format!("{id} sets the local-only {key}"));
            }
        }
        if env.get("STORAGE_BACKEND") != Some(&json!("aws")) {
            problems.push(format!("{id} does not set STORAGE_BACKEND=aws"));
        }
        for var in variables {
            if local_only.contains(var) || references.contains(var) {
                continue;
            }
            if NOT_NEEDED_BY.iter().any(|(f, v, _)| *f == name && v == var) {
                continue;
            }
            match secrets::reference_of(var) {
                Some(reference) => {
                    if env.contains_key(*var) {
                        problems.push(format!(
                            "{id} sets the secret {var} in plain text; set {reference} to its \
                             Secrets Manager secret instead"
                        ));
                    } else if !env.contains_key(reference) {
                        problems.push(format!("{id} lacks {reference} (for {var})"));
                    }
                }
                None => {
                    if !env.contains_key(*var) {
                        problems.push(format!("{id} does not set {var}"));
                    }
                }
            }
        }
    }
    problems
}

/// `config::VARIABLES` (which the template is checked against) is exactly what the code
/// reads: the settings parser and the secrets resolver are run over a recording lookup.
#[test]
fn config_variables_are_the_variables_the_code_reads() {
    let read = std::cell::RefCell::new(BTreeSet::new());
    let lookup = |k: &str| {
        read.borrow_mut().insert(k.to_string());
        None
    };
    config::Settings::from_lookup(lookup).expect("defaults parse");
    secrets::references(&lookup).expect("nothing referenced");
    let read = read.into_inner();
    let listed: BTreeSet<String> = config::VARIABLES.iter().map(|v| v.to_string()).collect();
    let unlisted: Vec<_> = read.difference(&listed).collect();
    let unread: Vec<_> = listed.difference(&read).collect();
    assert!(
        unlisted.is_empty() && unread.is_empty(),
        "read but not in config::VARIABLES: {unlisted:?}; listed but never read: {unread:?}"
    );
}

#[test]
fn every_variable_production_needs_is_set_for_every_function() {
    let problems = env_problems(&template(), config::VARIABLES);
    assert!(
        problems.is_empty(),
        "template.yaml and config::VARIABLES disagree (add the variable to the template's \
         Globals/function environment, or to LOCAL_ONLY / NOT_NEEDED_BY with a reason):\n  {}",
        problems.join("\n  ")
    );
}

/// Functions without a URL (and its output), a log group, their three alarms or a scoped
/// policy.
fn resource_problems(t: &Value) -> Vec<String> {
    let res = resources(t);
    let outputs = t["Outputs"].as_object().expect("Outputs");
    let mut problems = Vec::new();
    for (name, (id, f)) in functions(t) {
        // A Function URL: auth happens in the function (JWT), so the URL is public.
        let url = &f["Properties"]["FunctionUrlConfig"];
        if url["AuthType"] != "NONE" {
            problems.push(format!("{id} has no FunctionUrlConfig with AuthType NONE"));
        }
        if url["Cors"].is_null() {
            problems.push(format!("{id}'s Function URL has no CORS setting"));
        }
        let key = format!("{}Url", camel(&name));
        let expected = json!({ "!GetAtt": format!("{id}Url.FunctionUrl") });
        if outputs.get(&key).map(|o| &o["Value"]) != Some(&expected) {
            problems.push(format!("Outputs.{key} is not {expected}"));
        }

        // A log group with retention, used by the function.
        let lg = &f["Properties"]["LoggingConfig"]["LogGroup"]["!Ref"];
        match lg.as_str().and_then(|l| res.get(l)) {
            Some(g)
                if g["Properties"]["RetentionInDays"].is_object()
                    || g["Properties"]["RetentionInDays"].is_number() => {}
            _ => problems.push(format!("{id} has no log group with retention")),
        }

        // Alarms: error rate (metric math over 5xx / requests), p95 duration, throttles, all
        // to the alarm topic.
        let mut metrics = BTreeSet::new();
        for (aid, a) in res {
            if a["Type"] != "AWS::CloudWatch::Alarm" {
                continue;
            }
            let p = &a["Properties"];
            let mut dims = as_list(&p["Dimensions"]);
            let mut names = vec![p["MetricName"].clone()];
            for m in as_list(&p["Metrics"]) {
                dims.extend(as_list(&m["MetricStat"]["Metric"]["Dimensions"]));
                names.push(m["MetricStat"]["Metric"]["MetricName"].clone());
            }
            let ours = dims
                .iter()
                .any(|d| d["Name"] == "FunctionName" && d["Value"] == json!({ "!Ref": id }));
            if !ours {
                continue;
            }
            if !as_list(&p["AlarmActions"]).contains(&json!({ "!Ref": "AlarmTopic" })) {
                problems.push(format!("{aid} does not notify AlarmTopic"));
            }
            let names: BTreeSet<String> = names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect();
            if names.contains("Url5xxCount") && names.contains("UrlRequestCount") {
                let math = as_list(&p["Metrics"]).iter().any(|m| {
                    m["Expression"]
                        .as_str()
                        .is_some_and(|e| e.contains("100 *"))
                });
                if math && p["Threshold"] == json!(5) {
                    metrics.insert("error-rate");
                }
            }
            if names.contains("Duration") && p["ExtendedStatistic"] == "p95" {
                metrics.insert("p95-duration");
            }
            if names.contains("Throttles") && p["Threshold"] == json!(0) {
                metrics.insert("throttles");
            }
        }
        for needed in ["error-rate", "p95-duration", "throttles"] {
            if !metrics.contains(needed) {
                problems.push(format!("{id} has no {needed} alarm"));
            }
        }

        // A policy of explicit actions on named stack resources only.
        let stmts = statements(&id, &f);
        let mut table = false;
        for s in &stmts {
            for a in as_list(&s["Action"]) {
                let a = a.as_str().unwrap_or_default();
                if a.contains('*') {
                    problems.push(format!("{id} allows the wildcard action {a}"));
                }
            }
            for r in as_list(&s["Resource"]) {
                let ids = referenced_ids(&r);
                if r == json!("*") || ids.is_empty() {
                    problems.push(format!("{id} allows {r}: not a resource of the stack"));
                }
                for rid in ids {
                    if !res.contains_key(&rid) {
                        problems.push(format!("{id}'s policy names the unknown resource {rid}"));
                    }
                }
                if referenced_ids(&r).contains("Table") {
                    table = true;
                }
            }
        }
        if !table {
            problems.push(format!("{id} cannot reach the table"));
        }
    }
    problems
}

#[test]
fn every_function_has_a_url_alarms_and_a_scoped_policy() {
    let problems = resource_problems(&template());
    assert!(
        problems.is_empty(),
        "template.yaml:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn every_secret_a_function_references_is_readable_by_it_and_no_other_is() {
    let t = template();
    for (_, (id, f)) in functions(&t) {
        let env = environment(&t, &f);
        let referenced: BTreeSet<String> = secrets::SECRET_VARIABLES
            .iter()
            .filter_map(|s| env.get(s.reference))
            .flat_map(referenced_ids)
            .collect();
        let readable: BTreeSet<String> = statements(&id, &f)
            .iter()
            .filter(|s| as_list(&s["Action"]).contains(&json!("secretsmanager:GetSecretValue")))
            .flat_map(|s| as_list(&s["Resource"]))
            .flat_map(|r| referenced_ids(&r))
            .collect();
        assert_eq!(
            referenced, readable,
            "{id}: the secrets it may read are exactly those its environment references"
        );
        for secret in &referenced {
            assert_eq!(
                resources(&t)[secret]["Type"],
                "AWS::SecretsManager::Secret",
                "{id}: {secret}"
            );
            assert!(
                resources(&t)[secret]["Properties"]["SecretString"].is_null(),
                "{secret}: a secret value never lives in the template"
            );
        }
    }
}

#[test]
fn the_table_is_the_one_infra_defines() {
    let t = template();
    let table = resources(&t)
        .values()
        .filter(|r| r["Type"] == "AWS::DynamoDB::Table")
        .collect::<Vec<_>>();
    assert_eq!(table.len(), 1, "one table");
    let mut props = table[0]["Properties"].as_object().expect("props").clone();
    for extra in TABLE_EXTRAS {
        props.remove(*extra);
    }
    let infra: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("infra/dynamodb-table.json")).expect("infra json"),
    )
    .expect("json");
    assert_eq!(
        Value::Object(props),
        infra,
        "the template's table (minus {TABLE_EXTRAS:?}) diverges from infra/dynamodb-table.json"
    );
    assert_eq!(
        table[0]["Properties"]["SSESpecification"]["SSEEnabled"],
        true
    );
    assert_eq!(table[0]["DeletionPolicy"], "Retain");

    // Each bucket carries at least infra/s3-bucket.json's properties, unchanged.
    let bucket: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("infra/s3-bucket.json")).expect("bucket json"),
    )
    .expect("json");
    let buckets: Vec<_> = resources(&t)
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::S3::Bucket")
        .collect();
    assert_eq!(buckets.len(), 4, "four buckets");
    for (id, b) in buckets {
        for (k, v) in bucket.as_object().expect("object") {
            assert_eq!(
                &b["Properties"][k], v,
                "{id}.{k} diverges from infra/s3-bucket.json"
            );
        }
        assert_eq!(b["DeletionPolicy"], "Retain", "{id}");
        let tls_only = resources(&t).values().any(|p| {
            p["Type"] == "AWS::S3::BucketPolicy"
                && p["Properties"]["Bucket"] == json!({ "!Ref": id })
                && as_list(&p["Properties"]["PolicyDocument"]["Statement"])
                    .iter()
                    .any(|s| {
                        s["Effect"] == "Deny"
                            && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
                    })
        });
        assert!(tls_only, "{id} has a TLS-only bucket policy");
    }
}

#[test]
fn samconfig_defines_every_stage() {
    let text = std::fs::read_to_string(root().join("infra/samconfig.toml")).expect("samconfig");
    let stages = template()["Parameters"]["Stage"]["AllowedValues"].clone();
    assert_eq!(stages, json!(["dev", "staging", "prod"]));
    for stage in ["dev", "staging", "prod"] {
        for section in ["build", "deploy"] {
            assert!(
                text.contains(&format!("[{stage}.{section}.parameters]")),
                "infra/samconfig.toml has no [{stage}.{section}.parameters]"
            );
        }
        assert!(
            text.contains(&format!("\"Stage={stage}\"")),
            "infra/samconfig.toml deploys {stage} with Stage={stage}"
        );
    }
}

/// The checks catch drift: a function crate, a variable or an alarm added or lost without
/// its template entry makes them fail.
#[test]
fn the_checks_fail_on_drift() {
    let t = template();

    let mut crates = function_crates();
    crates.insert("bedtime-quiz".to_string());
    let p = crate_problems(&t, &crates);
    assert!(
        p.iter().any(|m| m.contains("bedtime-quiz")),
        "a new function crate without a template function is reported: {p:?}"
    );

    let mut variables = config::VARIABLES.to_vec();
    variables.push("BEDTIME_QUIZ_MODEL");
    let p = env_problems(&t, &variables);
    assert!(
        p.iter().any(|m| m.contains("BEDTIME_QUIZ_MODEL")),
        "a new variable the template never sets is reported: {p:?}"
    );

    let mut stripped = t.clone();
    stripped["Globals"]["Function"]["Environment"]["Variables"]
        .as_object_mut()
        .expect("globals env")
        .remove("TEXT_MODEL");
    let p = env_problems(&stripped, config::VARIABLES);
    assert_eq!(
        p.iter().filter(|m| m.contains("TEXT_MODEL")).count(),
        functions(&t).len(),
        "a variable dropped from the template is reported for every function: {p:?}"
    );

    let mut plain = t.clone();
    plain["Globals"]["Function"]["Environment"]["Variables"]["JWT_SECRET"] = json!("oops");
    let p = env_problems(&plain, config::VARIABLES);
    assert!(
        p.iter().any(|m| m.contains("plain text")),
        "a plain-text secret is reported: {p:?}"
    );

    let (_, (id, _)) = functions(&t).into_iter().next().expect("a function");
    let mut no_alarm = t.clone();
    no_alarm["Resources"]
        .as_object_mut()
        .expect("resources")
        .retain(|_, r| {
            !(r["Type"] == "AWS::CloudWatch::Alarm"
                && r["Properties"]["MetricName"] == "Throttles"
                && r["Properties"]["Dimensions"][0]["Value"] == json!({ "!Ref": id }))
        });
    let p = resource_problems(&no_alarm);
    assert!(
        p.iter().any(|m| m.contains(&id) && m.contains("throttles")),
        "a lost alarm is reported: {p:?}"
    );

    let mut broad = t.clone();
    broad["Resources"][&id]["Properties"]["Policies"][0]["Statement"][0]["Resource"] = json!("*");
    let p = resource_problems(&broad);
    assert!(
        p.iter()
            .any(|m| m.contains(&id) && m.contains("not a resource of the stack")),
        "a wildcard resource is reported: {p:?}"
    );
}
