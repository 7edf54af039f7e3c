// The one thing the console analyzer takes from the guest runner (Guest/RunnerScript.swift,
// which needs the scenario catalog, libgit2 and Yams): the marker of a task stuck in D
// state. FuzzRegressionTests.theFuzzTargetsMarkerIsTheRunners checks it is the same text.

enum RunnerScript {
  static let stuckMarker = "patchcheck-runner: task stuck in D state: "
}
