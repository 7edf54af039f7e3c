import PatchCheckKit
print(LibGit2.version)
