// A series named by where it lives: a message-id (`<id>` or bare) or a lore URL, fetched as
// `b4 am` fetches it (GET {base}/{message-id}/t.mbox.gz, the whole thread) and kept in the
// cache folder's patches/ so the next run reads it from there.

import Foundation
import PatchCheckBase

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A message-id, and the archive it came from when it was given as a URL.
package struct LoreReference: Sendable, Equatable {
  package var messageID: String
  /// `https://lore.kernel.org/linux-pci` for a URL under that list; nil for a bare id.
  package var archive: URL?

  package static let defaultArchive = "https://lore.kernel.org/all"

  /// `<id@host>`, `id@host`, or `http(s)://host/list/id[/...]`; nil for anything else (a file
  /// name, a manifest name).
  package init?(_ spec: String) {
    let text = spec.trimmingCharacters(in: .whitespaces)
    if text.hasPrefix("https://") || text.hasPrefix("http://") {
      guard let url = URL(string: text) else { return nil }
      // The message-id is the path component with an '@' (lore: /<list>/<id>/[t.mbox.gz|T/|...]).
      let parts = url.path.split(separator: "/").map(String.init)
      guard let index = parts.firstIndex(where: { $0.contains("@") }) else { return nil }
      messageID = parts[index].removingPercentEncoding ?? parts[index]
      var components = URLComponents()
      components.scheme = url.scheme
      components.host = url.host
      components.port = url.port
      components.path = "/" + parts[..<index].joined(separator: "/")
      archive = components.url
      return
    }
    let bare = text.hasPrefix("<") && text.hasSuffix(">") ? String(text.dropFirst().dropLast()) : text
    guard bare.contains("@"), !bare.contains("/"), !bare.contains(" ") else { return nil }
    messageID = bare
    archive = nil
  }

  package init(messageID: String, archive: URL?) {
    self.messageID = messageID
    self.archive = archive
  }

  /// Where its thread is fetched from: `--lore`/`PATCHCHECK_LORE_URL` first (a mirror, or a
  /// test server), then the URL's own archive, then lore's `all`.
  package func threadURL(override: String?) -> URL? {
    let base = override ?? ProcessInfo.processInfo.environment["PATCHCHECK_LORE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    let archive = base.flatMap(URL.init(string:)) ?? self.archive ?? URL(string: Self.defaultArchive)
    let id = messageID.addingPercentEncoding(withAllowedCharacters: Self.pathCharacters) ?? messageID
    return archive.flatMap { URL(string: $0.absoluteString.trimmingSuffix("/") + "/\(id)/t.mbox.gz") }
  }

  /// The file the fetched thread is kept in, named after the message-id as b4 names its files.
  package func cacheFile(in folder: URL) -> URL {
    let safe = messageID.replacingOccurrences(of: #"[^\w@.+%-]+"#, with: "_", options: .regularExpression)
    return folder.appendingPathComponent("\(safe).mbox")
  }

  private static let pathCharacters: CharacterSet = {
    var set = CharacterSet.urlPathAllowed
    set.remove(charactersIn: "/?#")
    return set
  }()
}

package enum LoreFetcher {
  /// The thread holding `reference`, from the cache folder unless `refresh`, else fetched and
  /// kept there (written whole or not at all).
  package static func thread(_ reference: LoreReference, home: PatchCheckHome, lore: String?, refresh: Bool) throws -> URL {
    let file = reference.cacheFile(in: home.patches)
    if !refresh, FileManager.default.fileExists(atPath: file.path) { return file }
    guard let url = reference.threadURL(override: lore) else {
      throw PatchCheckError(
        .usage, "'\(lore ?? reference.archive?.absoluteString ?? "")' is not a URL to fetch <\(reference.messageID)> from",
        hint: "give --lore (or PATCHCHECK_LORE_URL) as https://host/list")
    }
    let mbox = try fetch(url, localCopy: file)
    try FileManager.default.ensureDirectory(home.patches)
    let partial = file.appendingPathExtension("part-\(ProcessInfo.processInfo.processIdentifier)")
    do {
      try mbox.write(to: partial)
      guard rename(partial.path, file.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    } catch {
      try? FileManager.default.removeItem(at: partial)
      throw PatchCheckError(
        .seriesFetch, "fetched \(url.absoluteString) but could not keep it in \(file.path): \(error.localizedDescription)",
        hint: "check that folder's permissions and free space")
    }
    return file
  }

  /// The thread's mbox text (gunzipped), or one line naming the URL and what went wrong.
  package static func fetch(_ url: URL, localCopy: URL) throws -> Data {
    func failure(_ what: String) -> PatchCheckError {
      PatchCheckError(
        .seriesFetch, "could not fetch \(url.absoluteString): \(what) (no local copy at \(localCopy.path))",
        hint: "check the message-id and the network, or save the thread yourself (b4 mbox ID) and pass --series FILE")
    }
    let answer = HTTPGet.run(url, timeout: 120)
    if let error = answer.error { throw failure(error) }
    guard answer.status == 200 else { throw failure("HTTP \(answer.status)") }
    let mbox: Data
    do {
      mbox = try Gzip.decompress(answer.body)
    } catch Gzip.Failure.notGzip(let start) {
      throw failure("the answer is not gzip (it starts '\(VisibleText.of(start, limit: 16))')")
    } catch Gzip.Failure.damaged(let reason) {
      throw failure("the gzip is damaged or cut short: \(reason)")
    }
    guard Mbox.split(String(decoding: mbox, as: UTF8.self)).contains(where: { $0.messageID != nil }) else {
      throw failure("the answer holds no mail")
    }
    return mbox
  }
}

/// One GET, waited for: status and body, or the client's error in words.
package enum HTTPGet {
  package struct Answer: Sendable {
    package var status = 0
    package var body = Data()
    package var error: String?
  }

  private final class Box: @unchecked Sendable {
    let lock = NSLock()
    var answer = Answer()
  }

  package static func run(_ url: URL, timeout: TimeInterval) -> Answer {
    var request = URLRequest(url: url, timeoutInterval: timeout)
    request.setValue("patchcheck", forHTTPHeaderField: "User-Agent")
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForResource = timeout
    let session = URLSession(configuration: configuration)
    defer { session.finishTasksAndInvalidate() }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    let task = session.dataTask(with: request) { data, response, error in
      box.lock.lock()
      if let error {
        box.answer.error = error.localizedDescription
      } else {
        box.answer.status = (response as? HTTPURLResponse)?.statusCode ?? 0
        box.answer.body = data ?? Data()
      }
      box.lock.unlock()
      done.signal()
    }
    task.resume()
    // The client's own timeouts end a stalled transfer; this is the backstop for one that
    // trickles forever.
    if done.wait(timeout: .now() + timeout + 30) == .timedOut {
      task.cancel()
      box.lock.lock()
      defer { box.lock.unlock() }
      return Answer(error: "no complete answer within \(Int(timeout + 30)) s")
    }
    box.lock.lock()
    defer { box.lock.unlock() }
    return box.answer
  }
}

extension String {
  package func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
