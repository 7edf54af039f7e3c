// Bisection over a commit graph. The candidates are what `git rev-list BAD --not GOOD...`
// lists: commits reachable from the bad end and from no good one, the bad end included.
// Each step tests the commit that splits the candidates most evenly by ancestry (not by
// position), so merges halve the range as well as a straight line does.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

package struct BisectGraph: Sendable {
  /// Every initial candidate, children before parents (a topological order).
  package let order: [ObjectID]
  package let index: [ObjectID: Int]
  /// Parents of each candidate that are candidates themselves.
  package let parents: [[Int]]
  package var alive: [Bool]
  package private(set) var bad: ObjectID
  package private(set) var skipped: Set<ObjectID> = []

  /// `candidates` in topological order, children first (as libgit2's revwalk gives them);
  /// `bad` must be among them.
  package init(candidates: [ObjectID], bad: ObjectID, parentsOf: (ObjectID) throws -> [ObjectID]) rethrows {
    order = candidates
    var index: [ObjectID: Int] = [:]
    for (i, id) in candidates.enumerated() { index[id] = i }
    self.index = index
    parents = try candidates.map { try parentsOf($0).compactMap { index[$0] } }
    alive = Array(repeating: true, count: candidates.count)
    self.bad = bad
  }

  /// The commits the first bad one may still be, children first.
  package var remaining: [ObjectID] { order.indices.filter { alive[$0] }.map { order[$0] } }

  /// The most steps a bisection of `count` candidates needs without skips.
  package static func maxSteps(count: Int) -> Int {
    count <= 1 ? 0 : Int((log2(Double(count))).rounded(.up))
  }

  /// A good commit: it and its ancestors are not the first bad one.
  package mutating func markGood(_ commit: ObjectID) {
    guard let i = index[commit] else { return }
    for a in ancestors(of: i) { alive[a] = false }
  }

  /// A bad commit: the first bad one is it or one of its ancestors.
  package mutating func markBad(_ commit: ObjectID) {
    guard let i = index[commit] else { return }
    let keep = Set(ancestors(of: i))
    for j in alive.indices where alive[j] && !keep.contains(j) { alive[j] = false }
    bad = commit
  }

  /// A commit that could not be judged: never chosen again.
  package mutating func markSkipped(_ commit: ObjectID) { skipped.insert(commit) }

  package enum Outcome: Equatable, Sendable {
    /// Only the bad end is left.
    case firstBad(ObjectID)
    /// Every candidate but the bad end was skipped: any of these (children first).
    case ambiguous([ObjectID])
    case undecided
  }

  package var outcome: Outcome {
    let left = remaining
    if left == [bad] { return .firstBad(bad) }
    if left.allSatisfy({ $0 == bad || skipped.contains($0) }) { return .ambiguous(left) }
    return .undecided
  }

  /// The next commit to test, or nil when the outcome is decided.
  package func next() -> ObjectID? {
    let live = order.indices.filter { alive[$0] }
    let total = live.count
    let testable = live.filter { order[$0] != bad && !skipped.contains(order[$0]) }
    guard !testable.isEmpty else { return nil }
    let reach = reachCounts(live)
    // Tested bad, `reach` candidates remain; tested good, the others do. Take the commit
    // whose worse case is smallest; ties go to the one nearer the bad end.
    var best = testable[0]
    var bestScore = -1
    for i in testable {
      let r = reach[i] ?? 0
      let score = min(r, total - r)
      if score > bestScore {
        best = i
        bestScore = score
      }
    }
    return order[best]
  }

  /// Alive ancestors of `i` (itself included), found within the candidates: a path that
  /// leaves them never comes back, since everything behind a good commit is good.
  package func ancestors(of i: Int) -> [Int] {
    guard alive[i] else { return [] }
    var seen: Set<Int> = [i]
    var stack = [i]
    while let j = stack.popLast() {
      for p in parents[j] where alive[p] && !seen.contains(p) {
        seen.insert(p)
        stack.append(p)
      }
    }
    return Array(seen)
  }

  /// For each alive candidate, how many alive candidates it reaches (itself included).
  /// Exact with bitsets up to 16k candidates; beyond that, by topological position,
  /// which is exact for a straight history.
  package func reachCounts(_ live: [Int]) -> [Int: Int] {
    let count = live.count
    var position: [Int: Int] = [:]
    for (p, i) in live.enumerated() { position[i] = p }
    guard count <= 16_384 else {
      return Dictionary(uniqueKeysWithValues: live.enumerated().map { ($0.element, count - $0.offset) })
    }
    let words = (count + 63) / 64
    var bits = [UInt64](repeating: 0, count: words * count)
    var result: [Int: Int] = [:]
    // Parents come after children in `live`, so walk it backwards.
    for p in stride(from: count - 1, through: 0, by: -1) {
      let i = live[p]
      bits[p * words + p / 64] |= 1 << UInt64(p % 64)
      for parent in parents[i] {
        guard let q = position[parent] else { continue }
        for w in 0..<words { bits[p * words + w] |= bits[q * words + w] }
      }
      var n = 0
      for w in 0..<words { n += bits[p * words + w].nonzeroBitCount }
      result[i] = n
    }
    return result
  }
}
