//! Drives progenitor 0.15: overrides → lowering → (optional org-scope inlining) → client, typed httpmock
//! helpers, CLI and the extension code the thin layer builds on. Panics inside progenitor/typify become
//! [`SpecError`]s naming the operation that caused them.

use crate::panics::catch;

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use serde_json::{Map, Value};

use crate::{ext, lower, names, overrides, rewrite, LowerOptions, Report, SpecError};

pub use crate::lower::walk::METHODS;

/// The org segment Invent resolves to the API key's own org. Org-scoped paths are generated with it
/// inlined, and `build.rs` of invent-api writes it to `OUT_DIR/org_alias.rs`, so the runtime's
/// `CURRENT_ORG` is this one definition.
pub const INVENT_ORG_ALIAS: &str = "c";

/// What to generate and how. `Default` is the self-contained client that `invent-spec generate` writes.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Name used in error messages (e.g. `openapi.json`).
    pub file: Option<String>,
    /// Overrides document applied before lowering (see [`crate::overrides`]).
    pub overrides: Option<Value>,
    pub lower: LowerOptions,
    /// `with_inner_type` for the generated `Client` (e.g. `crate::Inner`).
    pub inner_type: Option<String>,
    /// Inline the path parameter that follows a leading `orgs` segment as this literal (Invent: `c`),
    /// so org-scoped operations default to the key's own org; the rewritten `send` puts the client's org
    /// (`Client::for_org`) in its place (see [`crate::rewrite`]).
    pub org_scope_alias: Option<String>,
    /// Emit typed httpmock helpers naming this crate path (e.g. `invent_api`).
    pub mock_crate: Option<String>,
    /// Extra derives on every generated type (the CLI needs `schemars::JsonSchema`).
    pub derives: Vec<String>,
    /// Path of the hand-written runtime the generated code calls (`crate` inside invent-api): when
    /// set, every `send` is rewritten onto it (see [`crate::rewrite`]) and the extension code
    /// (operation table, `Operation` impls, pagination) is emitted.
    pub runtime: Option<String>,
    /// Render the client as a skeleton plus one file per type or operation ([`Output::client_parts`]),
    /// for a build script writing to `OUT_DIR` (see [`split`]).
    pub split_files: bool,
}

impl Options {
    /// What `build.rs` of invent-api generates for a spec named `file` (also what `update` validates):
    /// org alias `c`, `crate::Inner`, every `send` rewritten onto the runtime, typed mocks, extensions,
    /// and the CLI when asked.
    pub fn invent_crate(file: &str, overrides: Option<Value>) -> Options {
        Options {
            file: Some(file.to_string()),
            overrides,
            inner_type: Some("crate::Inner".to_string()),
            org_scope_alias: Some(INVENT_ORG_ALIAS.to_string()),
            mock_crate: Some("invent_api".to_string()),
            runtime: Some("crate".to_string()),
            ..Default::default()
        }
    }
}

/// Everything one run produces.
#[derive(Debug)]
pub struct Output {
    /// The client module (`types`, `builder`, `Client`); with [`Options::split_files`], its skeleton,
    /// which `include!`s [`Output::client_parts`].
    pub client: String,
    /// With [`Options::split_files`]: the client's items, one file per type or operation, as
    /// (path relative to `OUT_DIR`, code). Empty otherwise.
    pub client_parts: Vec<(String, String)>,
    /// Extension code for the thin layer (empty unless `Options::runtime` is set).
    pub ext: String,
    pub mock: Option<String>,
    /// The 3.0.3 document handed to progenitor.
    pub lowered: Value,
    pub report: Report,
    /// One entry per generated operation, in spec order.
    pub operations: Vec<ext::OperationMeta>,
}

/// The document progenitor is handed, without running progenitor: overrides applied, lowered to
/// 3.0.3, org scope inlined, patterns unchecked (the first half of [`generate`]). The `invent` CLI's
/// build script generates its parsers from this, from the same spec and overrides as invent-api.
pub fn lowered(mut doc: Value, opts: &Options) -> Result<(Value, Report), SpecError> {
    let file = opts.file.clone();
    let with_file = |mut e: SpecError| {
        if e.file.is_none() {
            e.file = file.clone();
        }
        e
    };
    let mut report = Report::default();
    if let Some(o) = &opts.overrides {
        report.merge(overrides::apply(&mut doc, o).map_err(with_file)?);
    }
    report.merge(lower::lower(&mut doc, &opts.lower).map_err(with_file)?);
    if let Some(alias) = &opts.org_scope_alias {
        inline_org_scope(&mut doc, alias, &mut report);
    }
    report.count_n(PATTERN_UNCHECKED, unchecked_patterns(&mut doc).map_err(with_file)?);
    Ok((doc, report))
}

/// The pipeline used by `build.rs` and by `invent-spec generate`.
pub fn generate(doc: Value, opts: &Options) -> Result<Output, SpecError> {
    let file = opts.file.clone();
    let with_file = |mut e: SpecError| {
        if e.file.is_none() {
            e.file = file.clone();
        }
        e
    };
    let (doc, mut report) = lowered(doc, opts)?;

    let spec = parse_openapi(&doc).map_err(with_file)?;
    let settings = settings(opts, &doc);

    let client_tokens =
        run_progenitor(&doc, "generate the client", |spec| Generator::new(&settings).generate_tokens(spec), &spec)
            .map_err(with_file)?;
    let mut client_file = to_file(client_tokens, "client").map_err(with_file)?;
    let (operations, ext_code) = match &opts.runtime {
        Some(runtime) => {
            let rewrite_opts = rewrite::Options { runtime: runtime.clone(), org_alias: opts.org_scope_alias.clone() };
            let rewritten = rewrite::rewrite(&mut client_file, &doc, &rewrite_opts, &mut report).map_err(with_file)?;
            report.count_n("builders-for-bodies", rewrite::builders::prune(&mut client_file));
            report.count_n(
                rewrite::constructors::RULE,
                rewrite::constructors::hide(&mut client_file).map_err(with_file)?,
            );
            let operations = ext::operations(&rewritten).map_err(with_file)?;
            let code = ext::render(&operations, runtime).map_err(with_file)?;
            (operations, code)
        }
        None => (Vec::new(), String::new()),
    };
    report.count_n(rewrite::doc_examples::RULE, rewrite::doc_examples::apply(&mut client_file));
    let (client, client_parts) = if opts.split_files {
        let (skeleton, parts) = split(client_file);
        (
            prettyplease::unparse(&skeleton),
            parts.iter().map(|(path, file)| (path.clone(), prettyplease::unparse(file))).collect(),
        )
    } else {
        (prettyplease::unparse(&client_file), Vec::new())
    };

    // progenitor's httpmock and CLI generators emit `to_string()` / `value_parser!` for array query
    // parameters, which does not compile, and match renamed parameters by the Rust-side name: generate
    // them from a copy without those parameters.
    let (aux_doc, aux_notes) = mock_cli_copy(&doc);
    let mock = match &opts.mock_crate {
        Some(krate) => {
            report.extend_notes(aux_notes);
            let aux = parse_openapi(&aux_doc).map_err(with_file)?;
            let tokens = run_progenitor(
                &aux_doc,
                "generate httpmock helpers",
                |spec| Generator::new(&settings).httpmock(spec, krate),
                &aux,
            )
            .map_err(with_file)?;
            let mut mock_file = to_file(tokens, "mock").map_err(with_file)?;
            report.count_n(rewrite::doc_examples::RULE, rewrite::doc_examples::apply(&mut mock_file));
            Some(prettyplease::unparse(&mock_file))
        }
        None => None,
    };
    Ok(Output { client, client_parts, ext: ext_code, mock, lowered: doc, report, operations })
}

/// The `invent` CLI's generated part, from the document `generate` lowered (its `lowered` output):
/// progenitor's argument parsing for every operation, ending in one hook per operation (see
/// [`rewrite::cli`]), and the hooks (`(operation id, builder)`) the CLI crate implements.
pub fn cli(lowered: &Value, krate: &str) -> Result<(String, Vec<rewrite::cli::Hook>), SpecError> {
    let settings = settings(&Options::invent_crate("openapi.json", None), lowered);
    let (aux_doc, _) = mock_cli_copy(lowered);
    let aux = parse_openapi(&aux_doc)?;
    let tokens = run_progenitor(&aux_doc, "generate the CLI", |spec| Generator::new(&settings).cli(spec, krate), &aux)?;
    let mut file = to_file(tokens, "cli")?;
    let hooks = rewrite::cli::rewrite(&mut file)?;
    Ok((prettyplease::unparse(&file), hooks))
}

/// `invent-spec generate`: the client and extension code `build.rs` generates from `doc` (org alias,
/// runtime `crate`), in one file for reading and diffing; it compiles inside invent-api only.
pub fn generate_standalone(doc: Value) -> Result<(String, Report), SpecError> {
    let out = generate(doc, &Options::invent_crate("openapi.json", None))?;
    Ok((format!("{}\n{}", out.client, out.ext), out.report))
}

fn settings(opts: &Options, doc: &Value) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The rewritten `send`s call the crate's executor, not progenitor's hooks.
        .with_hooks(HooksMode::Optional);
    if let Some(inner) = &opts.inner_type {
        if let Ok(tokens) = inner.parse() {
            settings.with_inner_type(tokens);
        }
    }
    for derive in &opts.derives {
        settings.with_derive(derive);
    }
    // Binary parts of multipart bodies: the lowering points them at a placeholder component.
    if let Some(runtime) = &opts.runtime {
        for key in file_part_components(doc) {
            settings.with_replacement(
                names::component_type(&key),
                format!("{runtime}::multipart::FilePart"),
                std::iter::empty(),
            );
        }
    }
    settings
}

/// Component keys the lowering marked as file parts.
fn file_part_components(doc: &Value) -> Vec<String> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, s)| s.get(crate::lower::operations::FILE_PART).is_some())
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn parse_openapi(doc: &Value) -> Result<openapiv3::OpenAPI, SpecError> {
    serde_json::from_value(doc.clone()).map_err(|e| {
        SpecError::new("", "openapiv3-parse", format!("the lowered document is not valid OpenAPI 3.0: {e}"))
    })
}

fn to_file(tokens: proc_macro2::TokenStream, what: &str) -> Result<syn::File, SpecError> {
    syn::parse2(tokens).map_err(|e| {
        SpecError::new("", "generated-code-parses", format!("progenitor emitted {what} code that does not parse: {e}"))
    })
}

/// Runs one progenitor entry point with panics caught. On a panic or error the operations are tried one
/// by one so the message can name the operation that breaks progenitor.
fn run_progenitor<F>(
    doc: &Value,
    what: &str,
    run: F,
    spec: &openapiv3::OpenAPI,
) -> Result<proc_macro2::TokenStream, SpecError>
where
    F: Fn(&openapiv3::OpenAPI) -> Result<proc_macro2::TokenStream, progenitor::Error>,
{
    match catch(|| run(spec)) {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(blame(doc, what, &run, e.to_string())),
        Err(panic) => Err(blame(doc, what, &run, format!("progenitor panicked: {panic}"))),
    }
}

/// Finds the first operation that fails on its own (with all components present).
fn blame<F>(doc: &Value, what: &str, run: &F, message: String) -> SpecError
where
    F: Fn(&openapiv3::OpenAPI) -> Result<proc_macro2::TokenStream, progenitor::Error>,
{
    let rule = "progenitor-generates";
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return SpecError::new("", rule, format!("failed to {what}: {message}"));
    };
    // Components alone first: a schema that breaks typify is not an operation's fault.
    let mut only_components = doc.clone();
    only_components["paths"] = Value::Object(Map::new());
    if let Ok(spec) = serde_json::from_value::<openapiv3::OpenAPI>(only_components) {
        if !matches!(catch(|| run(&spec)), Ok(Ok(_))) {
            return SpecError::new("/components/schemas", rule, format!("failed to {what}: {message}"));
        }
    }
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method).is_none() {
                continue;
            }
            let mut single = doc.clone();
            let mut one_item = item.clone();
            if let Some(obj) = one_item.as_object_mut() {
                obj.retain(|k, _| k == method || !METHODS.contains(&k.as_str()));
            }
            let mut one_path = Map::new();
            one_path.insert(path.clone(), one_item);
            single["paths"] = Value::Object(one_path);
            let Ok(spec) = serde_json::from_value::<openapiv3::OpenAPI>(single) else { continue };
            let failed = match catch(|| run(&spec)) {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(p) => Some(format!("progenitor panicked: {p}")),
            };
            if let Some(detail) = failed {
                let pointer = format!("/paths/{}/{method}", crate::pointer::escape(path));
                return SpecError::new(pointer, rule, format!("failed to {what}: {detail}"));
            }
        }
    }
    SpecError::new("", rule, format!("failed to {what}: {message}"))
}

/// Directory (relative to `OUT_DIR`) of the files [`split`] writes.
pub const SPLIT_DIR: &str = "client";

/// Splits the client into a skeleton and one file per type or operation: every item of a module goes to
/// `client/<module path>/<Name>.rs` with the items of the same name (a struct and its impls), and the
/// module `include!`s it from `OUT_DIR`. Why: the compiler's incremental cache keys what it keeps on
/// line numbers within a file, so in one big file a property added to one schema moves every item
/// below it and nearly the whole crate is checked again; split, only the file that changed moves.
/// `use` items, macros and anything without a name stay in the skeleton.
pub fn split(mut file: syn::File) -> (syn::File, Vec<(String, syn::File)>) {
    let mut parts = Vec::new();
    split_items(&mut file.items, SPLIT_DIR, &mut parts);
    (file, parts)
}

fn split_items(items: &mut Vec<syn::Item>, dir: &str, parts: &mut Vec<(String, syn::File)>) {
    let mut kept = Vec::new();
    let mut groups: Vec<(String, Vec<syn::Item>)> = Vec::new();
    for mut item in std::mem::take(items) {
        if let syn::Item::Mod(m) = &mut item {
            if let Some((_, inner)) = m.content.as_mut() {
                split_items(inner, &format!("{dir}/{}", m.ident), parts);
            }
            kept.push(item);
            continue;
        }
        match group_name(&item) {
            Some(name) => match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, group)) => group.push(item),
                None => groups.push((name, vec![item])),
            },
            None => kept.push(item),
        }
    }
    // File names stay distinct on case-insensitive file systems too.
    let mut taken = std::collections::BTreeSet::new();
    for (name, group) in groups {
        let mut file_name = name.clone();
        let mut n = 1;
        while !taken.insert(file_name.to_lowercase()) {
            n += 1;
            file_name = format!("{name}_{n}");
        }
        let path = format!("{dir}/{file_name}.rs");
        let include = format!("/{path}");
        kept.push(syn::parse_quote!(include!(concat!(env!("OUT_DIR"), #include));));
        let mut part: syn::File = syn::parse_quote!();
        part.items = group;
        parts.push((path, part));
    }
    *items = kept;
}

/// The name an item is filed under: its own, or for an impl, its self type's (`impl From<X> for Y` → `Y`).
fn group_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Struct(s) => s.ident.to_string(),
        syn::Item::Enum(e) => e.ident.to_string(),
        syn::Item::Union(u) => u.ident.to_string(),
        syn::Item::Type(t) => t.ident.to_string(),
        syn::Item::Trait(t) => t.ident.to_string(),
        syn::Item::Fn(f) => f.sig.ident.to_string(),
        syn::Item::Const(c) => c.ident.to_string(),
        syn::Item::Static(s) => s.ident.to_string(),
        syn::Item::Impl(imp) => {
            let mut ty = &*imp.self_ty;
            while let syn::Type::Reference(r) = ty {
                ty = &r.elem;
            }
            match ty {
                syn::Type::Path(p) => p.path.segments.last()?.ident.to_string(),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(ident.trim_start_matches("r#").to_string())
}

/// Rule name of `unchecked_patterns`.
pub const PATTERN_UNCHECKED: &str = "pattern-unchecked";

/// Rule `pattern-unchecked`: removes `pattern` from every schema. typify turns a pattern into a
/// newtype that checks it with the `regress` regex engine, which every build of the client would then
/// compile, and a response whose string the server's newer pattern allows would fail to decode. The
/// server checks its patterns; the client does not need to (as rule `pattern-dialect` already says for
/// the patterns regress cannot parse). Returns how many were removed.
fn unchecked_patterns(doc: &mut Value) -> Result<usize, SpecError> {
    let mut removed = 0;
    crate::lower::walk::for_each_schema(doc, &mut |schema, _| {
        if let Value::Object(obj) = schema {
            if matches!(obj.get("pattern"), Some(Value::String(_))) {
                obj.shift_remove("pattern");
                removed += 1;
            }
        }
        Ok(())
    })?;
    Ok(removed)
}

/// Replaces the path parameter that follows a leading `orgs` segment with `alias` in every path, and
/// marks each operation it scopes with [`rewrite::ops::ORG_SCOPE`] (the parameter and the original
/// template), which the generator reads to take the org from the client.
fn inline_org_scope(doc: &mut Value, alias: &str, report: &mut Report) {
    let rule = "org-scope-alias";
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    let existing: Vec<String> = paths.keys().cloned().collect();
    let mut renamed = Map::new();
    for (path, mut item) in std::mem::take(paths) {
        let Some((param, new_path)) = org_scope_param(&path, alias) else {
            renamed.insert(path, item);
            continue;
        };
        if existing.contains(&new_path) || renamed.contains_key(&new_path) {
            report.note(
                &format!("/paths/{}", crate::pointer::escape(&path)),
                rule,
                format!("not inlined: `{new_path}` already exists"),
            );
            renamed.insert(path, item);
            continue;
        }
        if let Some(obj) = item.as_object_mut() {
            remove_path_param(obj.get_mut("parameters"), &param);
            for method in METHODS {
                if let Some(Value::Object(op)) = obj.get_mut(method) {
                    remove_path_param(op.get_mut("parameters"), &param);
                    op.insert(rewrite::ops::ORG_SCOPE.into(), serde_json::json!({ "param": param, "template": path }));
                    report.count(rule);
                }
            }
        }
        renamed.insert(new_path, item);
    }
    *paths = renamed;
}

/// `/orgs/{org_id}/x` → (`org_id`, `/orgs/c/x`).
fn org_scope_param(path: &str, alias: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/orgs/{")?;
    let end = rest.find('}')?;
    let param = &rest[..end];
    let tail = &rest[end + 1..];
    if !(tail.is_empty() || tail.starts_with('/')) || param.is_empty() {
        return None;
    }
    Some((param.to_string(), format!("/orgs/{alias}{tail}")))
}

fn remove_path_param(params: Option<&mut Value>, name: &str) {
    if let Some(list) = params.and_then(Value::as_array_mut) {
        list.retain(|p| {
            !(p.get("in").and_then(Value::as_str) == Some("path")
                && p.get("name").and_then(Value::as_str) == Some(name))
        });
    }
}

/// A copy of the document without array-typed query parameters (progenitor's mock and CLI generators
/// cannot render them) and without the parameters sent by another name than progenitor's, with a note
/// per removed parameter.
fn mock_cli_copy(doc: &Value) -> (Value, Vec<crate::report::Note>) {
    let mut copy = doc.clone();
    let mut notes = Vec::new();
    if let Some(paths) = copy.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                let Some(params) =
                    item.get_mut(method).and_then(|op| op.get_mut("parameters")).and_then(Value::as_array_mut)
                else {
                    continue;
                };
                params.retain(|p| {
                    // Maps too: the lowering keeps free-form form objects as inline `type: object` maps.
                    let is_array = p.get("in").and_then(Value::as_str) == Some("query")
                        && matches!(p.pointer("/schema/type").and_then(Value::as_str), Some("array" | "object"));
                    // Sent under another name than progenitor's (rules `cookie-parameter`, `wire-name`):
                    // a generated matcher would look for the wrong name.
                    let renamed = p.get(lower::operations::COOKIE_PARAMETER).is_some()
                        || p.get(lower::operations::WIRE_NAME).is_some();
                    let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
                    let (rule, message) = match (is_array, renamed) {
                        (false, false) => return true,
                        (true, _) => (
                            "mock-cli-array-query",
                            format!("array or map query parameter `{name}` left out of the httpmock helpers and CLI"),
                        ),
                        (false, true) => (
                            "mock-cli-renamed-parameter",
                            format!(
                                "parameter `{name}` (a cookie, or sent by another name) left out of the httpmock helpers and CLI"
                            ),
                        ),
                    };
                    notes.push(crate::report::Note {
                        pointer: format!("/paths/{}/{method}", crate::pointer::escape(path)),
                        rule: rule.to_string(),
                        message,
                    });
                    false
                });
            }
        }
    }
    (copy, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed httpmock helpers: one per operation, also for an operation with an array query
    /// parameter (progenitor's mock generator cannot render those, so that parameter alone is left out
    /// of the helpers, with a note), with the org segment inlined as the alias.
    #[test]
    fn mock_helpers_cover_every_operation_even_with_array_query_parameters() {
        let list = serde_json::json!({ "type": "array", "items": { "type": "string" } });
        let ok = serde_json::json!({ "200": { "description": "ok", "content": { "application/json": { "schema": list } } } });
        let doc = serde_json::json!({
            "openapi": "3.1.0",
            "info": { "title": "t", "version": "1" },
            "paths": {
                "/orgs/{org_id}/things": {
                    "parameters": [{ "name": "org_id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "get": {
                        "operationId": "listThings",
                        "parameters": [
                            { "name": "tag", "in": "query", "schema": list },
                            { "name": "take", "in": "query", "schema": { "type": "integer" } }
                        ],
                        "responses": ok
                    },
                    "post": { "operationId": "makeThing", "responses": ok }
                },
                "/things/{thing_id}": {
                    "delete": {
                        "operationId": "deleteThing",
                        "parameters": [{ "name": "thing_id", "in": "path", "required": true, "schema": { "type": "string" } }],
                        "responses": ok
                    }
                }
            }
        });
        let opts = Options {
            mock_crate: Some("invent_api".to_string()),
            org_scope_alias: Some(INVENT_ORG_ALIAS.to_string()),
            ..Default::default()
        };
        let out = generate(doc, &opts).expect("generates");
        let mock = out.mock.expect("helpers asked for");
        for helper in ["fn list_things<F>", "fn make_thing<F>", "fn delete_thing<F>"] {
            assert!(mock.contains(helper), "no `{helper}` in the helpers");
        }
        let list_when = mock.split("impl ListThingsWhen").nth(1).and_then(|s| s.split("pub struct").next());
        let list_when = list_when.expect("ListThingsWhen");
        assert!(list_when.contains("pub fn take<"), "the scalar parameter keeps its matcher");
        assert!(!list_when.contains("pub fn tag<"), "the array parameter is left out");
        assert!(mock.contains("\"^/orgs/c/things$\""), "the org segment is the alias");
        let notes: Vec<&str> = out
            .report
            .notes()
            .iter()
            .filter(|n| n.rule == "mock-cli-array-query")
            .map(|n| n.message.as_str())
            .collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("`tag`"), "{notes:?}");
    }

    #[test]
    fn org_scope_param_only_matches_a_leading_orgs_segment() {
        assert_eq!(
            org_scope_param("/orgs/{org_id}/assistants", "c"),
            Some(("org_id".into(), "/orgs/c/assistants".into()))
        );
        assert_eq!(org_scope_param("/orgs/{id}", "c"), Some(("id".into(), "/orgs/c".into())));
        assert_eq!(org_scope_param("/chats/{chat_id}", "c"), None);
        assert_eq!(org_scope_param("/orgs/{org_id}x/y", "c"), None);
        assert_eq!(org_scope_param("/v1/orgs/{org_id}", "c"), None);
    }

    #[test]
    fn patterns_are_removed_from_schemas_only() {
        let mut doc = serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "pattern": "^a+$"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"type": "string", "pattern": "^b$"}
                }}}}}
            }}},
            "components": {"schemas": {"Thing": {
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "pattern": "^c$"},
                    "code": {"type": "string", "pattern": "[0-9]+", "maxLength": 4}
                }
            }}}
        });
        assert_eq!(unchecked_patterns(&mut doc).unwrap(), 4);
        assert!(!doc.to_string().contains('^') && !doc.to_string().contains("[0-9]"), "{doc}");
        let thing = &doc["components"]["schemas"]["Thing"]["properties"];
        assert_eq!(thing["pattern"], serde_json::json!({"type": "string"}), "a property named `pattern` stays");
        assert_eq!(thing["code"], serde_json::json!({"type": "string", "maxLength": 4}), "other keywords stay");
    }

    #[test]
    fn split_files_each_name_with_its_impls_and_keeps_the_rest() {
        let file: syn::File = syn::parse_quote! {
            use std::fmt;
            pub struct Client;
            impl Client { pub fn new() -> Self { Client } }
            impl ClientInfo for &Client {}
            pub mod types {
                use serde::Serialize;
                pub struct Thing;
                impl From<&Thing> for Thing { fn from(t: &Thing) -> Self { Thing } }
                pub enum thing { A }
                pub mod builder { pub struct Thing; }
            }
        };
        let (skeleton, parts) = split(file);
        let paths: Vec<&str> = parts.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            ["client/types/builder/Thing.rs", "client/types/Thing.rs", "client/types/thing_2.rs", "client/Client.rs"]
        );
        let items = &parts[3].1.items;
        let client = quote::quote!(#(#items)*).to_string();
        assert!(
            client.contains("pub struct Client")
                && client.contains("fn new")
                && client.contains("ClientInfo for & Client")
        );
        assert_eq!(parts[1].1.items.len(), 2, "the struct and its impl together");
        let skeleton = quote::quote!(#skeleton).to_string();
        assert!(skeleton.contains("use std :: fmt") && skeleton.contains("use serde :: Serialize"), "uses stay");
        assert!(
            skeleton.contains("include ! (concat ! (env ! (\"OUT_DIR\") , \"/client/types/Thing.rs\"))"),
            "{skeleton}"
        );
        assert!(!skeleton.contains("struct"), "every named item moved out: {skeleton}");
    }
}
