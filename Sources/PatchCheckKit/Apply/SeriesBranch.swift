// The branch a series is committed on. One series applied on several bases (a ci run over
// tags, --base, the series' own base) keeps one branch per base, so the branch a report
// names still holds that report's head after another run of the series on another base.

import Foundation
import PatchCheckBase

package enum SeriesBranch {
  /// `refs/heads/patchcheck/<series>/<variant>` on the base the series picks (its
  /// base-commit, its variant's base, the manifest's fallback: `chosen` is nil), and
  /// `refs/heads/patchcheck/<series>/<variant>-on-<base>` on a base the user chose.
  package static func name(series: String, variant: String, chosen base: String?) -> String {
    let plain = "refs/heads/patchcheck/\(series)/\(variant)"
    guard let base else { return plain }
    return "\(plain)-on-\(component(base))"
  }

  /// The branch on `base`, resolved for a variant whose own base is `variantBase`: the user
  /// chose the base when the one asked for is not the variant's.
  package static func name(series: String, variant: String, on base: BaseResolution, variantBase: String?) -> String {
    name(series: series, variant: variant, chosen: base.requested == variantBase ? nil : base.requested)
  }

  /// `revision` as one ref-name component (git check-ref-format): a commit id shortened to
  /// 12 digits; anything but letters, digits, '.', '_' and '-' (a '/', '~', '^', ':') a '-';
  /// no "..", no leading '.', no trailing '.' or ".lock".
  package static func component(_ revision: String) -> String {
    if revision.count == 40, revision.allSatisfy(\.isHexDigit) { return String(revision.prefix(12)) }
    var out = String(
      revision.map { c -> Character in
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") ? c : "-"
      })
    while out.contains("..") { out = out.replacingOccurrences(of: "..", with: ".") }
    while out.hasPrefix(".") { out.removeFirst() }
    while out.hasSuffix(".lock") { out.removeLast(5) }
    while out.hasSuffix(".") { out.removeLast() }
    return out.isEmpty ? "base" : out
  }
}
