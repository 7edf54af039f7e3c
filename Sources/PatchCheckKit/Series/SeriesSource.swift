// Finding the series to run: a path the user gives, or a manifest's message-id looked up in
// ../shared/patches and the cache folder.

import Foundation

package struct LoadedSeries: Sendable {
  package var series: Series
  package var manifest: SeriesManifest?

  /// The series' name in branch names, run names and the results database: its manifest's
  /// name, else its title made a slug (`apply` and `apply-and-boot` name one branch alike).
  package var name: String { manifest?.name ?? slug(series.title) }
}

package enum SeriesSource {
  /// Folders searched for a manifest's mbox, in order.
  package static func searchFolders(home: PatchCheckHome) -> [URL] {
    [ProjectData.sharedPatches, home.patches]
  }

  /// `spec` is nil (the default manifest), a manifest name, or a path to an mbox/folder.
  package static func load(_ spec: String?, home: PatchCheckHome, manifests: URL = ProjectData.manifests) throws -> LoadedSeries {
    if let spec, FileManager.default.fileExists(atPath: spec) {
      let series = try SeriesParser.read(URL(fileURLWithPath: spec))
      return LoadedSeries(series: series, manifest: try SeriesManifest.matching(series, in: manifests))
    }
    let manifest: SeriesManifest
    if let spec {
      guard let found = try SeriesManifest.all(in: manifests).first(where: { $0.manifest.name == spec }) else {
        throw PatchCheckError(
          .seriesUnreadable, "'\(spec)' is neither a file nor a series manifest in \(manifests.path)",
          hint: "give an mbox path or one of: \(try SeriesManifest.all(in: manifests).map(\.manifest.name).joined(separator: ", "))")
      }
      manifest = found.manifest
    } else {
      manifest = try SeriesManifest.defaultManifest(in: manifests)
    }
    let folders = searchFolders(home: home)
    let located = manifest.locateMbox(in: folders)
    guard let mbox = located.found else {
      let unreadable =
        located.unreadable.isEmpty
        ? "" : " (\(located.unreadable.count) file(s) there could not be read: \(located.unreadable.prefix(3).joined(separator: ", ")))"
      throw PatchCheckError(
        .seriesUnreadable,
        "no mbox with message-id <\(manifest.messageID)> in \(folders.map(\.path).joined(separator: " or "))\(unreadable)",
        hint: "save the series there (b4 mbox \(manifest.messageID)) or pass --series FILE")
    }
    return LoadedSeries(series: try SeriesParser.read(mbox), manifest: manifest)
  }
}
