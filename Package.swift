// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "patchcheck",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "patchcheck", targets: ["patchcheck"]),
    .library(name: "PatchCheckKit", targets: ["PatchCheckKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CGit2",
      pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"])]
    ),
    // SHA-256 for KCIDB's patchset hash, from the OpenSSL the kernel build needs anyway.
    .systemLibrary(
      name: "CCrypto",
      pkgConfig: "libcrypto",
      providers: [.apt(["libssl-dev"])]
    ),
    // gzip, for lore's t.mbox.gz; zlib comes with libgit2's own dependencies.
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    // The library is one module per group of stages, in the order data flows through them
    // (README/docs "Modules, in stage order"); each depends only on earlier ones, so a call
    // from an earlier stage into a later one does not compile. The folders stay one per stage
    // under Sources/PatchCheckKit; ArchitectureTests checks this graph against the documented
    // order.
    .target(
      name: "PatchCheckBase",
      dependencies: ["CGit2", "CCrypto", "CZlib"],
      path: "Sources/PatchCheckKit",
      sources: ["Base", "Git"]
    ),
    .target(
      name: "PatchCheckSeries",
      dependencies: ["PatchCheckBase", .product(name: "Yams", package: "Yams")],
      path: "Sources/PatchCheckKit",
      sources: ["Tree", "Series", "Apply"]
    ),
    .target(
      name: "PatchCheckKernel",
      dependencies: ["PatchCheckBase", "PatchCheckSeries", .product(name: "Yams", package: "Yams")],
      path: "Sources/PatchCheckKit",
      sources: ["Kernel", "Guest"]
    ),
    .target(
      name: "PatchCheckVerdict",
      dependencies: ["PatchCheckBase", "PatchCheckSeries", "PatchCheckKernel"],
      path: "Sources/PatchCheckKit",
      sources: ["Console", "Verdict"]
    ),
    .target(
      name: "PatchCheckRun",
      dependencies: [
        "PatchCheckBase", "PatchCheckSeries", "PatchCheckKernel", "PatchCheckVerdict",
        .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Plot", package: "Plot"),
      ],
      path: "Sources/PatchCheckKit",
      sources: ["Report", "Plan", "Pipeline", "Results"]
    ),
    .target(
      name: "PatchCheckWorkflows",
      dependencies: ["PatchCheckBase", "PatchCheckSeries", "PatchCheckKernel", "PatchCheckVerdict", "PatchCheckRun"],
      path: "Sources/PatchCheckKit",
      sources: ["CI", "Bisect", "Review"]
    ),
    // What the executable and the tests import: every layer, re-exported.
    .target(
      name: "PatchCheckKit",
      dependencies: [
        "PatchCheckBase", "PatchCheckSeries", "PatchCheckKernel", "PatchCheckVerdict", "PatchCheckRun",
        "PatchCheckWorkflows",
      ],
      path: "Sources/PatchCheckKitExports"
    ),
    .executableTarget(
      name: "patchcheck",
      dependencies: [
        "PatchCheckKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(
      name: "PatchCheckKitTests",
      dependencies: ["PatchCheckKit", "CGit2", .product(name: "GRDB", package: "GRDB.swift")],
      exclude: ["Fixtures"]
    ),
  ]
)
