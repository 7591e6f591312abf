// Generates the raw declarations of the binding from the C headers (the
// plugin ABI and the host runtime's API), so that nothing is typed twice:
// constants from the ABI's X-macro lists, #[repr(C)] structs from the
// typedefs, the host's functions (one dispatch function per NQ_HOOK_LIST
// entry). From the same parse, the typed API: one Rust enum per list of
// unsigned constants, one borrowed struct per hook event (a field declared
// with a list's typedef, e.g. nq_query_type, takes that list's enum; nq_str a
// &str; nq_bool32 a bool) and one Host method per hook. It also compiles a C program that prints every struct's size,
// alignment and field offsets as the C compiler sees them; the layout test
// compares them with Rust's.
//
// Environment: NQ_HOOKS_LIB_DIR, the directory of libnq_hooks.so (set by the
// project's build; linked with an rpath to it). CC, the C compiler (cc).
use std::collections::HashMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const VOID: &str = "std::os::raw::c_void";

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("*/") {
            Some(end) => &rest[start + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\\\n", " ")
}

// The X(...) entries of `#define NAME(X) ...`, each as its arguments.
fn list_entries(text: &str, name: &str) -> Vec<Vec<String>> {
    let head = format!("#define {}(X)", name);
    let line = match text.lines().find(|l| l.trim_start().starts_with(&head)) {
        Some(l) => l,
        None => panic!("{} not found in the headers", name),
    };
    let mut entries = Vec::new();
    let mut rest = &line[head.len()..];
    while let Some(start) = rest.find("X(") {
        let body = &rest[start + 2..];
        let mut depth = 1;
        let mut in_string = false;
        let mut end = 0;
        for (i, c) in body.char_indices() {
            match c {
                '"' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        entries.push(split_args(&body[..end]));
        rest = &body[end..];
    }
    entries
}

fn split_args(args: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut in_string = false;
    for c in args.chars() {
        match c {
            '"' => {
                in_string = !in_string;
                out.last_mut().unwrap().push(c)
            }
            ',' if !in_string => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

fn rust_type(c: &str) -> String {
    let c = c.trim();
    let pointers = c.matches('*').count();
    let is_const = c.starts_with("const ") || c.contains(" const");
    let base = c.replace('*', " ").replace("const ", " ");
    let base = base.trim();
    let base = match base {
        "void" => VOID,
        "char" => "std::os::raw::c_char",
        "uint8_t" => "u8",
        "uint32_t" => "u32",
        "int32_t" => "i32",
        "uint64_t" => "u64",
        "int64_t" => "i64",
        "size_t" => "usize",
        "double" => "f64",
        other => other,
    };
    let mut t = base.to_string();
    for _ in 0..pointers {
        t = format!("{} {}", if is_const { "*const" } else { "*mut" }, t);
    }
    t
}

// "const nq_host* host" -> ("host", "*const nq_host")
fn parameter(decl: &str) -> (String, String) {
    let decl = decl.trim();
    let split = decl.rfind(|c: char| c == ' ' || c == '*').unwrap();
    let name = decl[split + 1..].to_string();
    (name, rust_type(&decl[..split + 1]))
}

fn function_type(ret: &str, params: &str) -> String {
    let params: Vec<String> = params.split(',').map(|p| parameter(p).1).collect();
    let ret = ret.trim();
    let ret = if ret == "void" {
        String::new()
    } else {
        format!(" -> {}", rust_type(ret))
    };
    format!(
        "Option<unsafe extern \"C\" fn({}){}>",
        params.join(", "),
        ret
    )
}

// A C field name as a Rust identifier (`type` is a keyword).
fn rust_field(c: &str) -> &str {
    if c == "type" {
        "r#type"
    } else {
        c
    }
}

struct Struct {
    name: String,
    fields: Vec<(String, String)>,
}

fn structs(text: &str, hooks: &[Vec<String>]) -> Vec<Struct> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("typedef struct ") {
        let after = &rest[start + "typedef struct ".len()..];
        let name_end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap();
        let name = after[..name_end].to_string();
        let tail = after[name_end..].trim_start();
        if !tail.starts_with('{') {
            rest = &after[name_end..];
            continue;
        }
        let body_end = tail.find('}').unwrap();
        let mut fields = Vec::new();
        for decl in tail[1..body_end].split(';') {
            let decl = decl.trim();
            if decl.is_empty() {
                continue;
            }
            if decl.contains("NQ_HOOK_LIST(") {
                for hook in hooks {
                    fields.push((
                        hook[0].clone(),
                        format!(
                            "Option<unsafe extern \"C\" fn(*mut nq_plugin_instance, nq_thread_slot, *const {})>",
                            hook[1]
                        ),
                    ));
                }
            } else if let Some(open) = decl.find("(*") {
                let close = decl[open..].find(')').unwrap() + open;
                let field = decl[open + 2..close].trim().to_string();
                let params = &decl[close + 1..];
                let params = &params[params.find('(').unwrap() + 1..params.rfind(')').unwrap()];
                fields.push((field, function_type(&decl[..open], params)));
            } else if let Some(open) = decl.strip_suffix(']').and_then(|d| d.rfind('[')) {
                // "uint8_t trace_id[16]" -> ("trace_id", "[u8; 16]")
                let (field, ty) = parameter(&decl[..open]);
                let len = decl[open + 1..decl.len() - 1].trim();
                fields.push((field, format!("[{}; {}]", ty, len)));
            } else {
                let (field, ty) = parameter(decl);
                fields.push((field, ty));
            }
        }
        found.push(Struct { name, fields });
        rest = &tail[body_end..];
    }
    found
}

// A list of constants (`#define NQ_..._LIST(X)`) and the integer typedef of
// its values.
struct ConstantList {
    name: String,
    c_type: String,
    entries: Vec<Vec<String>>,
}

impl ConstantList {
    // The Rust enum of an unsigned list (the status codes are signed and stay
    // constants): nq_query_type -> QueryType.
    fn enum_name(&self) -> Option<String> {
        if self.c_type == "nq_status" {
            return None;
        }
        Some(camel(self.c_type.trim_start_matches("nq_")))
    }
}

// The header's constant lists, in header order. A list belongs to the typedef
// whose name in capitals it carries (nq_query_type: NQ_QUERY_TYPE_LIST), so a
// field declared with that typedef holds a value of that list. The header
// declares the pair once more, in the COUNT constant of the list
// (NQ_ABI_LABELLED_LIST(nq_query_type, NQ_QUERY_TYPE_LIST, NQ_QUERY_TYPE_COUNT)
// or NQ_ABI_CONSTANT(nq_gauge, NQ_GAUGE_COUNT, ...)): both must agree.
fn constant_lists(text: &str) -> Vec<ConstantList> {
    let typedefs: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("typedef ")?.trim_end_matches(';');
            if rest.starts_with("struct ") || rest.contains('(') {
                return None;
            }
            let (alias, ty) = parameter(rest);
            matches!(ty.as_str(), "u32" | "i32").then(|| alias)
        })
        .collect();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut lists = Vec::new();
    for line in text.lines() {
        let name = match line.trim_start().strip_prefix("#define ") {
            Some(rest) => match rest.find("(X)") {
                Some(end) => &rest[..end],
                None => continue,
            },
            None => continue,
        };
        let c_type = match typedefs
            .iter()
            .find(|t| format!("{}_LIST", t.to_uppercase()) == name)
        {
            Some(t) => t.clone(),
            None => continue, // NQ_HOOK_LIST, NQ_VERSIONED_STRUCT_LIST
        };
        if c_type != "nq_status" {
            let count = name.replace("_LIST", "_COUNT");
            let labelled = format!("({}, {}, {})", c_type, name, count);
            let counted = format!("NQ_ABI_CONSTANT({}, {},", c_type, count);
            assert!(
                flat.contains(&labelled) || flat.contains(&counted),
                "{}: the header does not declare {} as a {} (NQ_ABI_LABELLED_LIST or NQ_ABI_CONSTANT)",
                name,
                count,
                c_type
            );
        }
        lists.push(ConstantList {
            name: name.to_string(),
            c_type,
            entries: list_entries(text, name),
        });
    }
    lists
}

// query_end -> QueryEnd, MEMORY_USAGE_BYTES -> MemoryUsageBytes.
fn camel(s: &str) -> String {
    s.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn unquote(s: &str) -> &str {
    s.trim().trim_start_matches('"').trim_end_matches('"')
}

// The variants of a list's enum: the names without the prefix they share, up
// to an underscore (NQ_QUERY_SELECT, NQ_QUERY_INSERT: Select, Insert).
fn variant_names(names: &[&str]) -> Vec<String> {
    let mut prefix = names[0].to_string();
    for n in names {
        while !n.starts_with(prefix.as_str()) {
            prefix.pop();
        }
    }
    if names.len() < 2 || !prefix.contains('_') {
        prefix = "NQ_".to_string();
    }
    let cut = prefix.rfind('_').unwrap() + 1;
    names.iter().map(|n| camel(&n[cut..])).collect()
}

fn enums_code(lists: &[ConstantList]) -> String {
    let mut out = String::from(
        "// Generated by build.rs from the constant lists of nq_plugin_abi.h; do not edit.\n",
    );
    for list in lists {
        let name = match list.enum_name() {
            Some(n) => n,
            None => continue,
        };
        let names: Vec<&str> = list.entries.iter().map(|e| e[0].as_str()).collect();
        let variants = variant_names(&names);
        // X(NAME, value, "label", doc) or, for gauges, X(NAME, value, "metric", "state", doc).
        let accessors: &[(&str, &str)] = match list.entries[0].len() {
            4 => &[("label", "The lowercase name metrics and config files use.")],
            5 => &[
                ("metric", "The metric a sample sets."),
                ("state", "The `state` label of the sample, or empty."),
            ],
            _ => &[],
        };
        writeln!(
            out,
            "/// The values of `{0}` (fields of type `{1}`). Values never change;\n/// the default is the value 0, as in a zeroed C event.\n#[repr(u32)]\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]\npub enum {2} {{",
            list.name, list.c_type, name
        )
        .unwrap();
        for (e, v) in list.entries.iter().zip(&variants) {
            let labels: Vec<&str> = e[2..e.len() - 1].iter().map(String::as_str).collect();
            let labels = if labels.is_empty() {
                String::new()
            } else {
                format!(" ({})", labels.join(", "))
            };
            writeln!(
                out,
                "    /// `{}`{}: {}.{}\n    {} = {},",
                e[0],
                labels,
                unquote(&e[e.len() - 1]),
                if e[1] == "0" { "\n    #[default]" } else { "" },
                v,
                e[1]
            )
            .unwrap();
        }
        out.push_str("}\n");
        writeln!(out, "impl {} {{", name).unwrap();
        writeln!(
            out,
            "    /// Every value, in list order.\n    pub const ALL: [{}; {}] = [{}];",
            name,
            variants.len(),
            variants
                .iter()
                .map(|v| format!("{}::{}", name, v))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .unwrap();
        writeln!(
            out,
            "    /// The C value.\n    #[inline]\n    pub const fn to_raw(self) -> sys::{} {{\n        self as sys::{}\n    }}",
            list.c_type, list.c_type
        )
        .unwrap();
        writeln!(
            out,
            "    /// The value of a C constant; `None` for a value the list does not have.\n    pub const fn from_raw(value: sys::{}) -> Option<{}> {{\n        match value {{",
            list.c_type, name
        )
        .unwrap();
        for (e, v) in list.entries.iter().zip(&variants) {
            writeln!(out, "            sys::{} => Some({}::{}),", e[0], name, v).unwrap();
        }
        out.push_str("            _ => None,\n        }\n    }\n");
        for (i, (accessor, doc)) in accessors.iter().enumerate() {
            writeln!(
                out,
                "    /// {}\n    pub const fn {}(self) -> &'static str {{\n        match self {{",
                doc, accessor
            )
            .unwrap();
            for (e, v) in list.entries.iter().zip(&variants) {
                writeln!(
                    out,
                    "            {}::{} => \"{}\",",
                    name,
                    v,
                    unquote(&e[2 + i])
                )
                .unwrap();
            }
            out.push_str("        }\n    }\n");
        }
        out.push_str("}\n");
        writeln!(
            out,
            "impl From<{0}> for u32 {{\n    #[inline]\n    fn from(value: {0}) -> u32 {{\n        value as u32\n    }}\n}}",
            name
        )
        .unwrap();
    }
    out
}

// The trailing comments of struct fields (`uint64_t wait_ns; /* ... */`), by
// struct and field: they document the generated Rust fields.
fn field_comments(raw: &str) -> HashMap<(String, String), String> {
    let mut found = HashMap::new();
    let mut current: Option<String> = None;
    for line in raw.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("typedef struct ") {
            if line.ends_with('{') {
                current = rest.split_whitespace().next().map(str::to_string);
            }
            continue;
        }
        if line.starts_with('}') {
            current = None;
        }
        let name = match &current {
            Some(n) => n,
            None => continue,
        };
        if let (Some(semi), Some(open)) = (line.find(';'), line.find("/*")) {
            if semi < open && !line[..semi].contains('(') {
                let field = line[..semi]
                    .rsplit(|c: char| c == ' ' || c == '*')
                    .next()
                    .unwrap();
                let field = field.split('[').next().unwrap();
                let comment = line[open + 2..].trim_end_matches("*/").trim();
                found.insert((name.clone(), field.to_string()), comment.to_string());
            }
        }
    }
    found
}

// How a C field of an event is given in Rust.
enum FieldKind {
    Skipped, // struct_size and reserved fields: set by the lowering
    Text,
    Flag,
    Value(String), // an enum of a constant list
    Number(String),
}

fn field_kind(field: &str, ty: &str, lists: &[ConstantList]) -> FieldKind {
    if field == "struct_size" || field.starts_with("reserved") {
        return FieldKind::Skipped;
    }
    match ty {
        "nq_str" => FieldKind::Text,
        "nq_bool32" => FieldKind::Flag,
        _ => match lists.iter().find(|l| l.c_type == ty) {
            Some(l) => FieldKind::Value(l.enum_name().expect("a signed list in an event")),
            None => {
                assert!(
                    matches!(ty, "u8" | "u32" | "i32" | "u64" | "i64" | "usize" | "f64")
                        || (ty.starts_with("[u8; ") && ty.ends_with(']')),
                    "no Rust type for an event field of type {}",
                    ty
                );
                FieldKind::Number(ty.to_string())
            }
        },
    }
}

// nq_query_end_event -> QueryEnd.
fn event_name(c_name: &str) -> String {
    camel(c_name.trim_start_matches("nq_").trim_end_matches("_event"))
}

fn has_text(s: &Struct, lists: &[ConstantList]) -> bool {
    s.fields
        .iter()
        .any(|(f, t)| matches!(field_kind(f, t, lists), FieldKind::Text))
}

fn events_code(
    all: &[Struct],
    hooks: &[Vec<String>],
    lists: &[ConstantList],
    comments: &HashMap<(String, String), String>,
) -> String {
    let mut out = String::from(
        "// Generated by build.rs from the hook events of nq_plugin_abi.h; do not edit.\n",
    );
    for s in all {
        let users: Vec<String> = hooks
            .iter()
            .filter(|h| h[1] == s.name)
            .map(|h| format!("[`Host::{0}`](crate::Host::{0})", h[0]))
            .collect();
        if users.is_empty() {
            continue;
        }
        let name = event_name(&s.name);
        let lifetime = if has_text(s, lists) { "<'a>" } else { "" };
        writeln!(
            out,
            "/// The event of {}: `sys::{}` without\n/// `struct_size` and reserved fields.\n#[derive(Debug, Clone, Copy, PartialEq, Default)]\npub struct {}{} {{",
            users.join(" and "),
            s.name,
            name,
            lifetime
        )
        .unwrap();
        for (field, ty) in &s.fields {
            let rust = match field_kind(field, ty, lists) {
                FieldKind::Skipped => continue,
                FieldKind::Text => "&'a str".to_string(),
                FieldKind::Flag => "bool".to_string(),
                FieldKind::Value(e) => format!("crate::{}", e),
                FieldKind::Number(n) => n,
            };
            if let Some(c) = comments.get(&(s.name.clone(), field.clone())) {
                writeln!(out, "    /// {}", c).unwrap();
            }
            writeln!(out, "    pub {}: {},", rust_field(field), rust).unwrap();
        }
        out.push_str("}\n");
        writeln!(
            out,
            "impl{0} {1}{0} {{\n    /// The C event: `struct_size` set, reserved fields 0{3}.\n    #[inline]\n    pub fn to_raw(&self) -> sys::{2} {{\n        sys::{2} {{",
            lifetime,
            name,
            s.name,
            if lifetime.is_empty() {
                ""
            } else {
                ", strings pointing\n    /// into this event's (valid while they are)"
            }
        )
        .unwrap();
        for (field, ty) in &s.fields {
            let f = rust_field(field);
            let value = match field_kind(field, ty, lists) {
                FieldKind::Skipped if field == "struct_size" => {
                    format!("core::mem::size_of::<sys::{}>() as u32", s.name)
                }
                FieldKind::Skipped => "0".to_string(),
                FieldKind::Text => format!(
                    "sys::nq_str {{\n                data: self.{0}.as_ptr() as *const std::os::raw::c_char,\n                len: self.{0}.len(),\n            }}",
                    f
                ),
                FieldKind::Flag | FieldKind::Value(_) => format!("self.{} as u32", f),
                FieldKind::Number(_) => format!("self.{}", f),
            };
            writeln!(out, "            {}: {},", f, value).unwrap();
        }
        out.push_str("        }\n    }\n}\n");
    }
    out
}

fn hook_methods_code(all: &[Struct], hooks: &[Vec<String>]) -> String {
    let mut out =
        String::from("// Generated by build.rs from NQ_HOOK_LIST; do not edit.\nimpl Host {\n");
    for hook in hooks {
        let s = all.iter().find(|s| s.name == hook[1]).unwrap();
        let lifetime = if s.fields.iter().any(|(_, t)| t == "nq_str") {
            "<'_>"
        } else {
            ""
        };
        writeln!(
            out,
            "    /// The `{0}` hook: {1}.\n    ///\n    /// Lowers the event into a `sys::{2}` on the stack and dispatches it:\n    /// no allocation, no lock; a no-op without a plugin. Strings are read\n    /// during the call only (the plugin copies and sanitizes what it keeps).\n    #[inline]\n    pub fn {0}(&self, event: &event::{3}{4}) {{\n        let raw = event.to_raw();\n        unsafe {{ sys::nq_host_{0}(self.raw, &raw) }}\n    }}",
            hook[0],
            unquote(&hook[2]),
            hook[1],
            event_name(&hook[1]),
            lifetime
        )
        .unwrap();
    }
    out.push_str("}\n");
    out
}

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../..");
    let abi_dir = root.join("abi/include");
    let host_dir = root.join("hooks/include");
    let abi_header = abi_dir.join("nq/nq_plugin_abi.h");
    let host_header = host_dir.join("nq/nq_host.h");
    for h in [&abi_header, &host_header] {
        println!("cargo:rerun-if-changed={}", h.display());
    }
    println!("cargo:rerun-if-env-changed=NQ_HOOKS_LIB_DIR");
    let text = strip_comments(&fs::read_to_string(&abi_header).unwrap())
        + &strip_comments(&fs::read_to_string(&host_header).unwrap());
    let hooks = list_entries(&text, "NQ_HOOK_LIST");
    let mut out = String::new();
    out.push_str("// Generated by build.rs from nq_plugin_abi.h and nq_host.h; do not edit.\n");

    // Integer typedefs and opaque types.
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("typedef ") {
            let rest = rest.trim_end_matches(';');
            if let Some(opaque) = rest.strip_prefix("struct ") {
                let mut words = opaque.split_whitespace();
                let (tag, alias) = (words.next().unwrap(), words.next().unwrap_or(""));
                if tag == alias && !text.contains(&format!("typedef struct {} {{", tag)) {
                    writeln!(out, "#[repr(C)]\npub struct {} {{ _opaque: [u8; 0] }}", tag).unwrap();
                }
            } else if !rest.contains('(') {
                let (alias, ty) = parameter(rest);
                writeln!(out, "pub type {} = {};", alias, ty).unwrap();
            }
        }
    }
    // Constants of the lists (each list with its typedef); status codes are
    // nq_status and have no COUNT.
    let lists = constant_lists(&text);
    for list in &lists {
        for e in &list.entries {
            writeln!(out, "pub const {}: {} = {};", e[0], list.c_type, e[1]).unwrap();
        }
        if list.c_type != "nq_status" {
            let count = list.name.replace("_LIST", "_COUNT");
            writeln!(
                out,
                "pub const {}: {} = {};",
                count,
                list.c_type,
                list.entries.len()
            )
            .unwrap();
        }
    }
    // Plain numeric defines.
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        if words.next() != Some("#define") {
            continue;
        }
        let (name, value) = match (words.next(), words.next()) {
            (Some(n), Some(v)) if !n.contains('(') => (n, v),
            _ => continue,
        };
        let value = value
            .trim_start_matches("((nq_thread_slot)")
            .trim_end_matches("))");
        let value = value.trim_end_matches(')').trim_end_matches('u');
        if value.chars().all(|c| c.is_ascii_hexdigit() || c == 'x') && !value.is_empty() {
            writeln!(out, "pub const {}: u32 = {};", name, value).unwrap();
        }
    }
    out.push_str(
        "pub const NQ_ABI_VERSION: u32 = (NQ_ABI_VERSION_MAJOR << 16) | NQ_ABI_VERSION_MINOR;\n",
    );

    // Structs.
    let all = structs(&text, &hooks);
    for s in &all {
        writeln!(
            out,
            "#[repr(C)]\n#[derive(Clone, Copy)]\npub struct {} {{",
            s.name
        )
        .unwrap();
        for (field, ty) in &s.fields {
            writeln!(out, "    pub {}: {},", rust_field(field), ty).unwrap();
        }
        out.push_str("}\n");
        if s.fields.first().map(|f| f.0.as_str()) == Some("struct_size") {
            writeln!(
                out,
                "impl {0} {{\n    /// Zeroed, with struct_size set to this version's size.\n    pub fn new() -> Self {{\n        let mut s: Self = unsafe {{ core::mem::zeroed() }};\n        s.struct_size = core::mem::size_of::<Self>() as u32;\n        s\n    }}\n}}\nimpl Default for {0} {{\n    fn default() -> Self {{ Self::new() }}\n}}",
                s.name
            )
            .unwrap();
        }
    }

    // The host's functions and one dispatch function per hook.
    out.push_str("#[link(name = \"nq_hooks\")]\nextern \"C\" {\n");
    for line in text.lines().map(str::trim) {
        if let Some(decl) = line.strip_prefix("NQ_HOST_API ") {
            if decl.contains("##") {
                continue;
            }
            let open = decl.find('(').unwrap();
            let (fn_name, ret_ty) = parameter(&decl[..open]);
            let params = &decl[open + 1..decl.rfind(')').unwrap()];
            let params: Vec<String> = params
                .split(',')
                .map(|p| {
                    let (n, t) = parameter(p);
                    format!("{}: {}", n, t)
                })
                .collect();
            let ret = if ret_ty == VOID {
                String::new()
            } else {
                format!(" -> {}", ret_ty)
            };
            writeln!(out, "    pub fn {}({}){};", fn_name, params.join(", "), ret).unwrap();
        }
    }
    for hook in &hooks {
        writeln!(
            out,
            "    pub fn nq_host_{}(host: *mut nq_host, event: *const {});",
            hook[0], hook[1]
        )
        .unwrap();
    }
    out.push_str("}\n");

    // The typed API (src/lib.rs includes these): one Rust enum per constant
    // list of unsigned values, one borrowed struct per hook event, one method
    // of the safe Host per hook.
    let comments = field_comments(&fs::read_to_string(&abi_header).unwrap());
    let enums = enums_code(&lists);
    let events = events_code(&all, &hooks, &lists, &comments);
    let methods = hook_methods_code(&all, &hooks);

    // Hook names, in list order.
    out.push_str("pub const HOOK_NAMES: &[&str] = &[");
    for hook in &hooks {
        write!(out, "\"{}\", ", hook[0]).unwrap();
    }
    out.push_str("];\n");

    // Layouts: Rust's, and the C compiler's.
    out.push_str("pub fn rust_layouts() -> Vec<(&'static str, &'static str, usize, usize)> {\n    let mut v = Vec::new();\n");
    let mut c_program = String::from(
        "#include <stdalign.h>\n#include <stddef.h>\n#include <stdio.h>\n#include \"nq/nq_host.h\"\nint main(void) {\n",
    );
    for s in &all {
        writeln!(
            out,
            "    v.push((\"{0}\", \"\", core::mem::size_of::<{0}>(), core::mem::align_of::<{0}>()));",
            s.name
        )
        .unwrap();
        writeln!(
            c_program,
            "  printf(\"(\\\"{0}\\\", \\\"\\\", %zu, %zu),\\n\", sizeof({0}), alignof({0}));",
            s.name
        )
        .unwrap();
        for (field, _) in &s.fields {
            let rfield = rust_field(field);
            writeln!(
                out,
                "    v.push(field_layout!({}, {}, \"{}\"));",
                s.name, rfield, field
            )
            .unwrap();
            writeln!(
                c_program,
                "  printf(\"(\\\"{0}\\\", \\\"{1}\\\", %zu, %zu),\\n\", offsetof({0}, {1}), sizeof((({0}*)0)->{1}));",
                s.name, field
            )
            .unwrap();
        }
    }
    out.push_str("    v\n}\n");
    c_program.push_str("  return 0;\n}\n");

    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out_dir.join("sys.rs"), out).unwrap();
    fs::write(out_dir.join("hooks.rs"), methods).unwrap();
    fs::write(out_dir.join("enums.rs"), enums).unwrap();
    fs::write(out_dir.join("events.rs"), events).unwrap();
    fs::write(
        out_dir.join("c_layouts.rs"),
        c_layouts(&out_dir, &c_program, &abi_dir, &host_dir),
    )
    .unwrap();

    if let Ok(dir) = env::var("NQ_HOOKS_LIB_DIR") {
        println!("cargo:rustc-link-search=native={}", dir);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
    }
}

fn c_layouts(out_dir: &Path, program: &str, abi_dir: &Path, host_dir: &Path) -> String {
    let source = out_dir.join("layouts.c");
    let binary = out_dir.join("layouts");
    fs::write(&source, program).unwrap();
    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&cc)
        .args(["-std=c11", "-I"])
        .arg(abi_dir)
        .arg("-I")
        .arg(host_dir)
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .status()
        .expect("running the C compiler");
    assert!(status.success(), "the C layout program did not compile");
    let printed = Command::new(&binary)
        .output()
        .expect("running the C layout program");
    format!(
        "pub const C_LAYOUTS: &[(&str, &str, usize, usize)] = &[\n{}];\n",
        String::from_utf8(printed.stdout).unwrap()
    )
}
