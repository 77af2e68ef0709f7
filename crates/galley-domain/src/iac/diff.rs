//! A small line diff (longest common subsequence) for telling the model what differs between a file in the
//! workspace and what a re-export would write.

/// Largest product of line counts diffed exactly; bigger files get a summary only.
const MAX_CELLS: usize = 4_000_000;
/// Lines of context around each change.
const CONTEXT: usize = 2;
/// Longest diff text returned.
const MAX_CHARS: usize = 8_000;

/// A unified-style diff from `old` to `new` (`-` lines only in old, `+` lines only in new, `@@ line N` headers),
/// or a one-line summary when the files are too large to diff here. Empty when equal.
pub fn unified(old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        return format!(
            "(too large to diff here: {} lines in the workspace, {} generated)\n",
            a.len(),
            b.len()
        );
    }
    // lcs[i][j] = LCS length of a[i..] and b[j..].
    let w = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    // Edit script: (' ' | '-' | '+', old line index, text).
    let mut ops: Vec<(char, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i, a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
            ops.push(('-', i, a[i]));
            i += 1;
        } else {
            ops.push(('+', i, b[j]));
            j += 1;
        }
    }
    let mut out = String::new();
    let mut k = 0;
    while k < ops.len() {
        if ops[k].0 == ' ' {
            k += 1;
            continue;
        }
        // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change close to it.
        let start = k.saturating_sub(CONTEXT);
        let mut end = k;
        let mut last_change = k;
        while end < ops.len() && end <= last_change + 2 * CONTEXT {
            if ops[end].0 != ' ' {
                last_change = end;
            }
            end += 1;
        }
        let end = (last_change + CONTEXT + 1).min(ops.len());
        out.push_str(&format!("@@ line {}\n", ops[start].1 + 1));
        for (op, _, text) in &ops[start..end] {
            out.push(*op);
            out.push_str(text);
            out.push('\n');
        }
        if out.len() > MAX_CHARS {
            let mut cut = MAX_CHARS;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push_str("\n(diff truncated)\n");
            return out;
        }
        k = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn diffs_lines() {
        assert_eq!(unified("a\nb\n", "a\nb\n"), "");
        let d = unified("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nX\ne\nf\ng\n");
        assert_eq!(d, "@@ line 2\n b\n c\n-d\n+X\n e\n f\n");
        let d = unified("x = 1\n", "x = 1\ny = 2\n");
        assert_eq!(d, "@@ line 1\n x = 1\n+y = 2\n");
        let d = unified("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\n5\n6\n7\n8\n9\n");
        assert_eq!(d, "@@ line 8\n 8\n 9\n-10\n");
    }
}
