// Generates the raw declarations of the binding from the C headers (the
// plugin ABI and the host runtime's API), so that nothing is typed twice:
// constants from the ABI's X-macro lists, #[repr(C)] structs from the
// typedefs, the host's functions (one dispatch function per NQ_HOOK_LIST
// entry). It also compiles a C program that prints every struct's size,
// alignment and field offsets as the C compiler sees them; the layout test
// compares them with Rust's.
//
// Environment: NQ_HOOKS_LIB_DIR, the directory of libnq_hooks.so (set by the
// project's build; linked with an rpath to it). CC, the C compiler (cc).
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
    // Constants of the lists; status codes are nq_status.
    for (list, ty) in [
        ("NQ_STATUS_LIST", "nq_status"),
        ("NQ_QUERY_TYPE_LIST", "nq_query_type"),
        ("NQ_QUERY_STATUS_LIST", "nq_query_status"),
        ("NQ_LOCK_TYPE_LIST", "nq_lock_type"),
        ("NQ_WS_DISCONNECT_REASON_LIST", "nq_ws_disconnect_reason"),
        ("NQ_WS_DROP_REASON_LIST", "nq_ws_drop_reason"),
        ("NQ_GAUGE_LIST", "nq_gauge"),
        ("NQ_LOG_LEVEL_LIST", "nq_log_level"),
    ] {
        let entries = list_entries(&text, list);
        for e in &entries {
            writeln!(out, "pub const {}: {} = {};", e[0], ty, e[1]).unwrap();
        }
        if ty != "nq_status" {
            let count = list.replace("_LIST", "_COUNT");
            writeln!(out, "pub const {}: {} = {};", count, ty, entries.len()).unwrap();
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

    // One method of the safe Host per hook (src/lib.rs includes hooks.rs).
    let mut methods =
        String::from("// Generated by build.rs from NQ_HOOK_LIST; do not edit.\nimpl Host {\n");
    for hook in &hooks {
        writeln!(
            methods,
            "    /// The {0} hook. Lock-free, allocates nothing; a no-op without a plugin.\n    #[inline]\n    pub fn {0}(&self, event: &sys::{1}) {{\n        unsafe {{ sys::nq_host_{0}(self.raw, event) }}\n    }}",
            hook[0], hook[1]
        )
        .unwrap();
    }
    methods.push_str("}\n");

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
