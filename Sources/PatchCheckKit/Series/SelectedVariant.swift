// Choosing a variant of a series: its edits applied to the posted patches, its base, and
// what its run must show.

import Foundation
import PatchCheckBase

package struct SelectedVariant: Sendable {
  package var name: String
  package var variant: SeriesManifest.Variant
  package var series: Series
  package var edits: [AppliedEdit]

  package static func select(_ name: String, from loaded: LoadedSeries) throws -> SelectedVariant {
    guard let manifest = loaded.manifest else {
      guard name == "as-posted" else {
        throw PatchCheckError(
          .usage, "variant '\(name)' needs a series manifest, and this series has none",
          hint: "add patches/<series>/manifest.yaml with the series' message-id, or drop --variant")
      }
      return SelectedVariant(name: name, variant: .init(description: "the series as posted"), series: loaded.series, edits: [])
    }
    let variant = try manifest.variant(name)
    let (series, edits) = try PatchEditor.apply(variant.edits ?? [], to: loaded.series, manifest: manifest.path ?? manifest.name)
    guard !series.patches.isEmpty else {
      throw PatchCheckError(
        .usage, "variant '\(name)' of \(manifest.name) drops every hunk of the series", hint: "keep at least one hunk")
    }
    return SelectedVariant(name: name, variant: variant, series: series, edits: edits)
  }

  /// Every variant of the series' manifest (as-posted first).
  package static func allNames(of loaded: LoadedSeries) -> [String] {
    let names = Set(loaded.manifest?.variants?.keys.map { $0 } ?? []).subtracting(["as-posted"])
    return ["as-posted"] + names.sorted()
  }

  /// The variants a comma-separated list names, 'all' naming every one of the manifest's.
  package static func names(_ list: String, of loaded: LoadedSeries) -> [String] {
    list == "all" ? allNames(of: loaded) : list.split(separator: ",").map(String.init)
  }
}
