import Foundation
import Testing

@testable import PatchCheckBase
@testable import PatchCheckKernel
@testable import PatchCheckKit
@testable import PatchCheckRun
@testable import PatchCheckSeries
@testable import PatchCheckVerdict
@testable import PatchCheckWorkflows

/// Scenarios are data: the built-in ones are read from `scenarios/*.yaml`, a user adds
/// more from a folder or a manifest, and a malformed file is one error with its file:line.
@Suite struct ScenarioFileTests {
  /// The fourteen: the six of the first series, the host-driven ones (issue 32) and those that
  /// reach the driver and the core.
  static let builtInNames = [
    "numvfs", "pf-remove", "unbind", "vf-remove", "race-numvfs-remove", "race-unbind-remove", "hotplug", "hotplug-race", "aer",
    "aer-race", "reset", "link", "resources", "port-rescan",
  ]

  @Test func theBuiltInScenariosLoad() throws {
    let catalog = try ScenarioCatalog.load()
    #expect(Set(catalog.names) == Set(Self.builtInNames), "\(catalog.names)")
    #expect(catalog.names.count == Self.builtInNames.count)
    for definition in catalog.definitions {
      #expect(definition.origin.kind == .builtIn)
      #expect(definition.origin.file.hasPrefix(ProjectData.scenarios.path))
      #expect(definition.igbPFs == 1)
    }
    let races = try catalog.named(["race-numvfs-remove"], settings: ScenarioSettings(iterations: 7))
    #expect(races[0].steps.count == 2 + 7)
  }

  /// Each mistake is one PatchCheckError of kind scenarioFile (exit 19) naming the file and
  /// the line the mistake is on.
  @Test(arguments: [
    // A misspelt key would otherwise be ignored.
    ("name: x\nsummary: s\nsteps:\n  - name: a\n    timout: 5\n    shell: true\n", 5, "unknown key 'timout'"),
    // Not YAML at all.
    ("name: x\nsummary: s\nsteps:\n  - name: [a\n", 5, "not valid YAML"),
    ("name: x\nsummary: s\nsteps:\n  - name: a\n    timeout: soon\n    shell: true\n", 5, "'timeout' is a number"),
    ("name: x\nsteps:\n  - name: a\n    timeout: 5\n    shell: true\n", 1, "no 'summary'"),
    ("name: x\nsummary: s\nsteps: []\n", 3, "no 'steps'"),
    // An unknown knob inside a block of shell: the line of the knob itself.
    ("name: x\nsummary: s\nsteps:\n  - name: a\n    timeout: 5\n    shell: |-\n      true\n      echo {{vfz}}\n", 8, "unknown '{{vfz}}'"),
    ("name: x\nsummary: s\ninclude: [include/sriov-pf.yaml]\nsteps:\n  - use: find-the-pf\n", 5, "no shared step 'find-the-pf'"),
    ("name: x\nsummary: s\ninclude: [nowhere.yaml]\nsteps:\n  - use: find-pf\n", 3, "include 'nowhere.yaml'"),
    ("name: two words\nsummary: s\nsteps:\n  - name: a\n    timeout: 5\n    shell: true\n", 1, "may hold only"),
    ("name: x\nsummary: s\nrace: often\nsteps:\n  - name: a\n    timeout: 5\n    shell: true\n", 3, "'race' is true or false"),
    (
      "name: x\nsummary: s\nsteps:\n  - repeat: \"{{vfs}}\"\n    step: {name: a, timeout: 5, shell: true}\n    shell: x\n", 6,
      "does not go with 'repeat'"
    ),
  ])
  func aMalformedFileIsOneErrorWithFileAndLine(text: String, line: Int, words: String) throws {
    let dir = try TempDir()
    let file = dir.path("broken.yaml")
    try text.write(to: file, atomically: true, encoding: .utf8)
    do {
      _ = try ScenarioCatalog.load(sources: [.folder(dir.url)])
      Issue.record("accepted: \(text)")
    } catch let error as PatchCheckError {
      #expect(error.kind == .scenarioFile)
      #expect(error.exitCode == 19)
      #expect(error.message.hasPrefix("\(file.path):\(line): "), "\(error.message)")
      #expect(error.message.contains(words), "\(error.message)")
    }
  }

  /// A user scenario never replaces a built-in one silently: the same name is an error that
  /// names both files.
  @Test func aUserScenarioCannotTakeABuiltInName() throws {
    let dir = try TempDir()
    try Self.userScenario(name: "numvfs").write(to: dir.path("mine.yaml"), atomically: true, encoding: .utf8)
    do {
      _ = try ScenarioCatalog.load(sources: [.folder(dir.url)])
      Issue.record("a second 'numvfs' was accepted")
    } catch let error as PatchCheckError {
      #expect(error.kind == .scenarioFile)
      #expect(error.message.contains(dir.path("mine.yaml").path + ":2"), "\(error.message)")  // its name: line
      #expect(error.message.contains(ProjectData.scenarios.appendingPathComponent("numvfs.yaml").path), "\(error.message)")
    }
  }

  /// A scenario a user writes: the built-in shared steps, and one step of its own.
  static func userScenario(name: String = "vf-config-read", igb: Int = 1) -> String {
    """
    # A scenario of the user's own, read at run time.
    name: \(name)
    summary: enable {{vfs}} VFs and read each VF's config space through sysfs
    devices: {igb: \(igb)}
    include: [include/sriov-pf.yaml]
    steps:
      - use: find-pf
      - use: enable-vfs
      - name: read each VF's config space
        timeout: 60
        shell: |-
          pf=$(cat /tmp/pf)
          for v in "$pf"/virtfn*; do
            n=$(cat "$v/config" | wc -c)
            echo "# user-scenario $(basename "$(readlink "$v")") config $n bytes"
            [ "$n" -ge 64 ] || exit 1
          done
      - use: disable-vfs

    """
  }

  /// A folder given with --scenario-dir adds its scenarios: listed, chosen by name, in the
  /// guest program and in the plan's key.
  @Test func aScenarioFromAUserFolderIsListedAndSelected() throws {
    let dir = try TempDir()
    let folder = dir.path("my-scenarios")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Self.userScenario().write(to: folder.appendingPathComponent("vf-config-read.yaml"), atomically: true, encoding: .utf8)

    let catalog = try ScenarioCatalog.load(sources: [.folder(folder)])
    #expect(catalog.names.count == Self.builtInNames.count + 1)
    let mine = try #require(catalog.definition("vf-config-read"))
    #expect(mine.origin == ScenarioOrigin(kind: .folder, file: folder.appendingPathComponent("vf-config-read.yaml").path, via: folder.path))

    var options = RunOptions()
    options.noSeries = true
    options.scenarioDirs = [folder]
    options.scenarios = ["vf-config-read", "numvfs"]
    options.vfs = 3
    let plan = try RunPlan.resolve(options, home: PatchCheckHome(root: dir.path("home")))
    #expect(plan.scenarios.map(\.name) == ["vf-config-read", "numvfs"])
    #expect(plan.scenarios[0].summary == "enable 3 VFs and read each VF's config space through sysfs")
    #expect(plan.scenarios[0].steps.map(\.name) == ["find SR-IOV PF", "enable 3 VFs", "read each VF's config space", "disable VFs"])
    #expect(try plan.guestFiles().values.contains { $0.contains("# user-scenario ") })
    // The key covers the guest program: another scenario text is another verdict.
    try Self.userScenario().replacingOccurrences(of: "-ge 64", with: "-ge 256")
      .write(to: folder.appendingPathComponent("vf-config-read.yaml"), atomically: true, encoding: .utf8)
    #expect(try RunPlan.resolve(options, home: PatchCheckHome(root: dir.path("home"))).key != plan.key)

    // Without the folder the name is unknown: a usage error naming what there is.
    options.scenarioDirs = []
    #expect(throws: PatchCheckError.self) { try RunPlan.resolve(options, home: PatchCheckHome(root: dir.path("home"))) }

    // The command lists it with where it comes from.
    let listed = try CLITests().run(["scenarios", "--scenario-dir", folder.path, "--json"], home: dir.path("home"))
    #expect(listed.status == 0, "\(listed.stderr)")
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
    #expect(entries.count == Self.builtInNames.count + 1)
    let entry = try #require(entries.first { $0["name"] as? String == "vf-config-read" })
    let origin = entry["origin"] as? [String: Any]
    #expect(origin?["kind"] as? String == "folder")
    #expect(origin?["via"] as? String == folder.path)
    #expect(entries.filter { ($0["origin"] as? [String: Any])?["kind"] as? String == "built-in" }.count == Self.builtInNames.count)
    let text = try CLITests().run(["scenarios", "--scenario-dir", folder.path], home: dir.path("home"))
    #expect(text.stdout.contains("vf-config-read: enable 4 VFs"), "\(text.stdout)")
    // A broken file in the folder: exit 19, one line naming file:line.
    try "name: broken\nsummary: s\nsteps:\n  - name: a\n    shell: true\n".write(
      to: folder.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
    CLITests().expectOneLineError(
      try CLITests().run(["scenarios", "--scenario-dir", folder.path], home: dir.path("home")), code: 19,
      mentioning: "broken.yaml:4: a step needs a 'timeout'")
  }

  /// A manifest's `scenario-files:` (paths beside the manifest) add scenarios too; a file it
  /// names that does not exist is the manifest's error, with its line.
  @Test func aManifestAddsScenarioFiles() throws {
    let dir = try TempDir()
    try FileManager.default.createDirectory(at: dir.path("series/checks"), withIntermediateDirectories: true)
    try Self.userScenario().write(to: dir.path("series/checks/vf-config-read.yaml"), atomically: true, encoding: .utf8)
    let manifestURL = dir.path("series/manifest.yaml")
    try "name: toy\nmessage-id: x@example.com\nscenarios: [vf-config-read]\nscenario-files:\n  - checks/vf-config-read.yaml\n"
      .write(to: manifestURL, atomically: true, encoding: .utf8)
    let catalog = try RunPlan.scenarioCatalog(dirs: [], manifest: try SeriesManifest.load(manifestURL))
    let mine = try #require(catalog.definition("vf-config-read"))
    #expect(mine.origin.kind == .manifest)
    #expect(mine.origin.via == manifestURL.path)

    try "name: toy\nmessage-id: x@example.com\nscenario-files:\n  - checks/vf-config-read.yaml\n  - checks/missing.yaml\n"
      .write(to: manifestURL, atomically: true, encoding: .utf8)
    do {
      _ = try RunPlan.scenarioCatalog(dirs: [], manifest: try SeriesManifest.load(manifestURL))
      Issue.record("a missing scenario file was accepted")
    } catch let error as PatchCheckError {
      #expect(error.kind == .manifest)
      #expect(error.message.hasPrefix("\(manifestURL.path):5: "), "\(error.message)")
    }
  }

  /// A scenario that needs more igb PFs than the guest has is refused before any work.
  @Test func aScenarioNeedingMorePFsThanTheGuestHasIsAUsageError() throws {
    let dir = try TempDir()
    try Self.userScenario(name: "two-pfs", igb: 2).write(to: dir.path("two.yaml"), atomically: true, encoding: .utf8)
    var options = RunOptions()
    options.noSeries = true
    options.scenarioDirs = [dir.url]
    options.scenarios = ["two-pfs"]
    do {
      _ = try RunPlan.resolve(options, home: PatchCheckHome(root: dir.path("home")))
      Issue.record("a two-PF scenario ran with one PF")
    } catch let error as PatchCheckError {
      #expect(error.kind == .usage)
      #expect(error.message.contains("needs 2 igb PFs"), "\(error.message)")
    }
    options.pfs = 2
    #expect(try RunPlan.resolve(options, home: PatchCheckHome(root: dir.path("home"))).scenarios.map(\.name) == ["two-pfs"])
  }
}
