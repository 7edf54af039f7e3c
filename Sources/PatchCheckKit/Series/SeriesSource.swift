// Finding the series to run: a path the user gives (an mbox, a folder of mails), a
// message-id or lore URL (fetched, kept in the cache folder), or a manifest, whose message-id
// is looked up in ../shared/patches (beside a checkout) and the cache folder, and fetched
// when it is nowhere.

import Foundation
import PatchCheckBase

package struct LoadedSeries: Sendable {
  package var series: Series
  package var manifest: SeriesManifest?

  package init(series: Series, manifest: SeriesManifest?) {
    self.series = series
    self.manifest = manifest
  }

  /// The series' name in branch names, run names and the results database: its manifest's
  /// name, else its title made a slug (`apply` and `apply-and-boot` name one branch alike).
  package var name: String { manifest?.name ?? slug(series.title) }
}

/// How a series is looked for beyond its name: which revision of its thread, where lore is,
/// whether to fetch again.
package struct SeriesQuery: Sendable {
  /// `--revision N`: that revision of the thread, holes and all (nil: the newest complete).
  package var revision: Int?
  /// `--lore URL`: the archive to fetch from (else PATCHCHECK_LORE_URL, else lore's `all`).
  package var lore: String?
  /// `--refresh`: fetch the thread again even when the cache folder has it.
  package var refresh = false

  package init(revision: Int? = nil, lore: String? = nil, refresh: Bool = false) {
    self.revision = revision
    self.lore = lore
    self.refresh = refresh
  }
}

package enum SeriesSource {
  /// Folders searched for a manifest's mbox, in order: ../shared/patches beside a checkout
  /// (none when installed), then the cache folder's patches/.
  package static func searchFolders(home: PatchCheckHome) -> [URL] {
    [ProjectData.sharedPatches, home.patches].compactMap { $0 }
  }

  /// `spec` is nil (the default manifest), a path to an mbox or folder, a message-id or lore
  /// URL, or a manifest name.
  package static func load(
    _ spec: String?, home: PatchCheckHome, query: SeriesQuery = SeriesQuery(), manifests: URL = ProjectData.manifests
  ) throws -> LoadedSeries {
    if let spec, FileManager.default.fileExists(atPath: spec) {
      let series = try SeriesParser.read(URL(fileURLWithPath: spec), revision: query.revision)
      return LoadedSeries(series: series, manifest: try SeriesManifest.matching(series, in: manifests))
    }
    if let spec, let reference = LoreReference(spec) {
      let thread = try LoreFetcher.thread(reference, home: home, lore: query.lore, refresh: query.refresh)
      let series = try SeriesParser.read(thread, revision: query.revision, messageID: reference.messageID)
      return LoadedSeries(series: series, manifest: try SeriesManifest.matching(series, in: manifests))
    }
    let manifest = try named(spec, in: manifests)
    let folders = searchFolders(home: home)
    let located = query.refresh ? (found: nil, unreadable: []) : manifest.locateMbox(in: folders)
    let mbox: URL
    if let found = located.found {
      mbox = found
    } else {
      // Nowhere local: the thread that holds it, from lore (or the archive its manifest names).
      let reference = LoreReference(
        messageID: manifest.messageID, archive: manifest.lore.flatMap(LoreReference.init)?.archive)
      do {
        mbox = try LoreFetcher.thread(reference, home: home, lore: query.lore, refresh: query.refresh)
      } catch let error as PatchCheckError where error.kind == .seriesFetch {
        let unreadable =
          located.unreadable.isEmpty
          ? "" : "; \(located.unreadable.count) file(s) there could not be read: \(located.unreadable.prefix(3).joined(separator: ", "))"
        throw PatchCheckError(
          .seriesFetch,
          "no mbox with message-id <\(manifest.messageID)> in \(folders.map(\.path).joined(separator: " or "))\(unreadable), and \(error.message)",
          hint: "save the series there (b4 mbox \(manifest.messageID)) or pass --series FILE")
      }
    }
    let series = try SeriesParser.read(mbox, revision: query.revision, messageID: manifest.messageID, itsRevision: true)
    return LoadedSeries(series: series, manifest: manifest)
  }

  /// The manifest `spec` names (nil: the default one).
  package static func named(_ spec: String?, in manifests: URL) throws -> SeriesManifest {
    guard let spec else { return try SeriesManifest.defaultManifest(in: manifests) }
    guard let found = try SeriesManifest.all(in: manifests).first(where: { $0.manifest.name == spec }) else {
      throw PatchCheckError(
        .seriesUnreadable,
        "'\(spec)' is neither a file, a message-id, a lore URL nor a series manifest in \(manifests.path)",
        hint:
          "give an mbox path, a message-id, or one of: \(try SeriesManifest.all(in: manifests).map(\.manifest.name).joined(separator: ", "))"
      )
    }
    return found.manifest
  }
}
