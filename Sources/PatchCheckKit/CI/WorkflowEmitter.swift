// `patchcheck ci --emit github-actions|gitlab`: the same ci run scaled out on an existing CI
// engine. One job per tag (a matrix), each caching the build folder and ccache, uploading
// its report folder (report.json, junit.xml, kcidb.json, console logs), and a final job that
// merges them into one database and one HTML page with `patchcheck report --merge`.

import Foundation
import PatchCheckBase
import PatchCheckKernel
import PatchCheckRun
import PatchCheckSeries
import PatchCheckVerdict

/// The CI engines `ci --emit` writes a workflow for.
package enum CIEngine: String, CaseIterable, Sendable {
  case githubActions = "github-actions"
  case gitlab
}

package enum WorkflowEmitter {
  /// The Swift image the jobs run in: Debian 12, as scripts/setup.sh expects.
  package static let image = "swift:6.2-bookworm"

  /// `engine`'s workflow for the tags `options.tags` names in the run's repository, each job
  /// running `options.run`.
  package static func workflow(_ engine: CIEngine, options: CIOptions, home: PatchCheckHome) throws -> String {
    let repository = try Applier.openRepository(options.run.repository, home: home)
    let names = try CIRunner.resolveTags(options.tags, in: repository).map(\.0)
    let arguments = arguments(for: options.run)
    switch engine {
    case .githubActions: return githubActions(tags: names, arguments: arguments)
    case .gitlab: return gitlab(tags: names, arguments: arguments)
    }
  }

  /// The ci flags each job passes on: the run's series, and its variant, scenarios and
  /// iterations where they are not the defaults.
  package static func arguments(for run: RunOptions) -> [String] {
    var arguments: [String] = []
    if let series = run.series { arguments += ["--series", series] }
    if run.variant != "as-posted" { arguments += ["--variant", run.variant] }
    if let scenarios = run.scenarios { arguments += ["--scenarios", scenarios.joined(separator: ",")] }
    // As given (relative to the checkout), so the workflow runs on another machine.
    for folder in run.scenarioDirs { arguments += ["--scenario-dir", folder.relativePath] }
    if run.iterations != ScenarioLibrary.defaultIterations { arguments += ["--iterations", "\(run.iterations)"] }
    return arguments
  }

  /// `arguments`: the ci flags besides --tags/--out/--db (series, variant, scenarios...).
  /// The actions are pinned at majors on the node24 runtime (GitHub removed node20 on
  /// 2026-09-23); WorkflowLintTests runs actionlint on this text.
  package static func githubActions(tags: [String], arguments: [String]) -> String {
    let matrix = tags.map { "\"\($0)\"" }.joined(separator: ", ")
    let extra = arguments.map(shellQuote).joined(separator: " ")
    return githubHeader + githubTagJob(matrix: matrix, extra: extra) + githubMergeJob
  }

  /// The workflow's name, when it runs (by hand and nightly), and where patchcheck keeps its
  /// trees and builds; its jobs follow.
  private static let githubHeader = """
    # Written by `patchcheck ci --emit github-actions`. One job per tag; a last job merges
    # the reports into one database and one HTML page. Each job's results/TAG folder holds
    # report.json, junit.xml, kcidb.json (KCIDB v5.3, for KernelCI) and every console log.
    name: patchcheck
    on:
      workflow_dispatch:
      schedule:
        - cron: "17 5 * * *"
    env:
      PATCHCHECK_HOME: ${{ github.workspace }}/.patchcheck-cache
    jobs:

    """

  /// The job per tag (`matrix`): cached build folder and ccache, the tree imported, `ci` run
  /// with `extra`, its results folder uploaded.
  private static func githubTagJob(matrix: String, extra: String) -> String {
    """
      tag:
        name: ${{ matrix.tag }}
        runs-on: ubuntu-latest
        container:
          image: \(image)
        timeout-minutes: 90
        strategy:
          fail-fast: false
          matrix:
            tag: [\(matrix)]
        steps:
          - uses: actions/checkout@v7
          - name: Restore the build folder and ccache
            uses: actions/cache@v6
            with:
              path: |
                .patchcheck-cache/ccache
                .patchcheck-cache/build
              key: patchcheck-${{ matrix.tag }}-${{ hashFiles('kernel-configs/*.config') }}
              restore-keys: |
                patchcheck-${{ matrix.tag }}-
                patchcheck-
          - name: Set up (apt backports, QEMU, libgit2)
            run: bash scripts/setup.sh
          - name: Build patchcheck
            run: swift build -c release
          - name: Import the tree
            run: .build/release/patchcheck tree import --debian "${TAG#v}"
            env:
              TAG: ${{ matrix.tag }}
          - name: Apply, build, boot, judge
            run: .build/release/patchcheck ci --tags "$TAG" \(extra) --out "results/$TAG" --db "results/$TAG/results.sqlite"
            env:
              TAG: ${{ matrix.tag }}
          - name: Upload the report
            if: always()
            uses: actions/upload-artifact@v7
            with:
              name: patchcheck-${{ matrix.tag }}
              path: results/${{ matrix.tag }}

    """
  }

  /// The last job, run whatever the tag jobs did: every tag's report merged into one
  /// database and one HTML page, uploaded.
  private static let githubMergeJob = """
      merge:
        needs: tag
        if: always()
        runs-on: ubuntu-latest
        container:
          image: \(image)
        steps:
          - uses: actions/checkout@v7
          - name: Set up
            run: bash scripts/setup.sh
          - name: Build patchcheck
            run: swift build -c release
          - uses: actions/download-artifact@v8
            with:
              pattern: patchcheck-*
              path: results
          - name: Merge the reports
            run: |
              .build/release/patchcheck report --merge results --db merged.sqlite --html site
              .build/release/patchcheck history --db merged.sqlite
          - name: Upload the merged report
            uses: actions/upload-artifact@v7
            with:
              name: patchcheck-report
              path: |
                site
                merged.sqlite

    """

  package static func gitlab(tags: [String], arguments: [String]) -> String {
    let matrix = tags.map { "\"\($0)\"" }.joined(separator: ", ")
    let extra = arguments.map(shellQuote).joined(separator: " ")
    return """
      # Written by `patchcheck ci --emit gitlab`. One job per tag (parallel matrix); the merge
      # job collects every job's results/TAG folder (report.json, junit.xml, kcidb.json,
      # console logs) into one database and one HTML page.
      stages: [test, report]
      variables:
        PATCHCHECK_HOME: "$CI_PROJECT_DIR/.patchcheck-cache"
      patchcheck:
        stage: test
        image: \(image)
        timeout: 90m
        parallel:
          matrix:
            - TAG: [\(matrix)]
        cache:
          key: "patchcheck-$TAG"
          paths:
            - .patchcheck-cache/ccache
            - .patchcheck-cache/build
        script:
          - bash scripts/setup.sh
          - swift build -c release
          - .build/release/patchcheck tree import --debian "${TAG#v}"
          - .build/release/patchcheck ci --tags "$TAG" \(extra) --out "results/$TAG" --db "results/$TAG/results.sqlite"
        artifacts:
          when: always
          paths:
            - results/
          reports:
            junit: results/*/junit.xml
      merge:
        stage: report
        image: \(image)
        when: always
        needs:
          - job: patchcheck
            artifacts: true
        script:
          - bash scripts/setup.sh
          - swift build -c release
          - .build/release/patchcheck report --merge results --db merged.sqlite --html site
          - .build/release/patchcheck history --db merged.sqlite
        artifacts:
          paths:
            - site/
            - merged.sqlite

      """
  }

  package static func shellQuote(_ word: String) -> String {
    guard word.contains(where: { !($0.isLetter || $0.isNumber || "-_./=,:".contains($0)) }) else { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
