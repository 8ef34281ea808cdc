// ManifestTracker: what one refresh() sends after files change, without inotify or threads
// (file_source_test.cc covers the watching). The tracker keeps digests of what it sent, not the
// objects: change detection, the last good version of broken files, two files defining one
// object, legacy Endpoints behind real slices, and how much heap it keeps.
#include "watch/manifest_tracker.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using std::chrono::milliseconds;
using testing::TempDir;
using Events = std::vector<std::string>;

std::string service(const std::string& name, int port) {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
         "\n  namespace: shop\nspec:\n  clusterIP: 10.96.0.10\n  ports:\n  - port: " +
         std::to_string(port) + "\n";
}

std::string slice(const std::string& service, const std::string& ip) {
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + service +
         "-1\n  namespace: shop\n  labels:\n    kubernetes.io/service-name: " + service +
         "\naddressType: IPv4\nendpoints:\n- addresses: [\"" + ip + "\"]\n";
}

std::string legacyEndpoints(const std::string& name, const std::string& ip) {
  return "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: " + name +
         "\n  namespace: shop\nsubsets:\n- addresses:\n  - ip: " + ip +
         "\n  ports:\n  - port: 80\n";
}

// "+Service shop/web:80", "+EndpointSlice shop/web-1@10.244.0.5", "-shop/web", "!<error>".
class EventLog final : public EventSink {
 public:
  void upsert(Object object) override {
    std::string text = "+" + std::string(toString(kindOf(object))) + " " + keyOf(object);
    if (const auto* svc = std::get_if<Service>(&object); svc && !svc->ports.empty())
      text += ":" + std::to_string(svc->ports[0].port);
    if (const auto* s = std::get_if<EndpointSlice>(&object); s && !s->endpoints.empty())
      text += "@" + s->endpoints[0].address;
    events.push_back(text);
  }
  void remove(ObjectKind, const std::string& key) override { events.push_back("-" + key); }
  void invalid(const ObjectError& error) override { events.push_back("!" + error.str()); }
  void synced() override {}

  Events take() { return std::exchange(events, {}); }
  Events events;
};

// A tracker on a directory, refreshed by hand.
class Tracked {
 public:
  // racyWindow 0: a file is trusted unchanged as soon as it was read (the tests replace files
  // by rename, which always changes what stat() says).
  explicit Tracked(const TempDir& dir, milliseconds racyWindow = milliseconds(0))
      : tracker(dir.path(), racyWindow) {}

  Events refresh() {
    EXPECT_TRUE(tracker.refresh(log, std::stop_token(), &changes));
    return log.take();
  }

  ManifestTracker tracker;
  EventLog log;
  ManifestTracker::Changes changes;
};

// A new inode with `text`, as editors and kubectl write files.
void replace(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path tmp = dir.write("." + name + ".tmp", text);
  std::filesystem::rename(tmp, dir.path() / name);
}

bool isError(const std::string& event) {
  return event.starts_with("!");
}

TEST(ManifestTracker, UnchangedFilesAreNotParsedAgain) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80) + "---\n" + slice("web", "10.244.0.5"));
  dir.write("b.yaml", service("db", 5432));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh(), (Events{"+Service shop/db:5432", "+Service shop/web:80",
                                       "+EndpointSlice shop/web-1@10.244.0.5"}));
  EXPECT_EQ(tracked.changes.filesParsed, 2u);
  EXPECT_EQ(tracked.tracker.objectCount(), 3u);

  EXPECT_EQ(tracked.refresh(), Events{});
  EXPECT_EQ(tracked.changes.filesParsed, 0u);
  EXPECT_EQ(tracked.tracker.objectCount(), 3u);
}

TEST(ManifestTracker, FilesWrittenJustBeforeTheirReadAreParsedAgain) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80));
  Tracked tracked(dir, std::chrono::seconds(60));
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:80"});
  // A second write in the same clock tick would not change what stat() says: read it again.
  EXPECT_EQ(tracked.refresh(), Events{});
  EXPECT_EQ(tracked.changes.filesParsed, 1u);
}

TEST(ManifestTracker, RewrittenWithTheSameContentSendsNothing) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80) + "---\n" + slice("web", "10.244.0.5"));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh().size(), 2u);

  // Same objects, written differently: parsed again, found equal.
  replace(dir, "a.yaml",
          "# reformatted\n" + slice("web", "10.244.0.5") + "---\n" + service("web", 80));
  EXPECT_EQ(tracked.refresh(), Events{});
  EXPECT_EQ(tracked.changes.filesParsed, 1u);
  EXPECT_EQ(tracked.tracker.objectCount(), 2u);
}

TEST(ManifestTracker, OneChangedObjectIsOneUpsert) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80) + "---\n" + service("db", 5432) + "---\n" +
                          slice("web", "10.244.0.5"));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh().size(), 3u);

  replace(
      dir, "a.yaml",
      service("web", 80) + "---\n" + service("db", 5433) + "---\n" + slice("web", "10.244.0.5"));
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/db:5433"});
  replace(
      dir, "a.yaml",
      service("web", 80) + "---\n" + service("db", 5433) + "---\n" + slice("web", "10.244.0.6"));
  EXPECT_EQ(tracked.refresh(), Events{"+EndpointSlice shop/web-1@10.244.0.6"});
}

TEST(ManifestTracker, RemovedObjectIsRemoved) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80) + "---\n" + slice("web", "10.244.0.5"));
  dir.write("b.yaml", service("db", 5432));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh().size(), 3u);

  replace(dir, "a.yaml", service("web", 80));
  EXPECT_EQ(tracked.refresh(), Events{"-shop/web-1"});
  std::filesystem::remove(dir.path() / "b.yaml");
  EXPECT_EQ(tracked.refresh(), Events{"-shop/db"});
  EXPECT_EQ(tracked.tracker.objectCount(), 1u);
}

TEST(ManifestTracker, BrokenFileKeepsItsLastGoodObjects) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80) + "---\n" + slice("web", "10.244.0.5"));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh().size(), 2u);

  replace(dir, "a.yaml", "apiVersion: v1\nkind: Service\nspec: [unclosed\n");
  const Events broken = tracked.refresh();
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_TRUE(isError(broken[0])) << broken[0];
  EXPECT_EQ(tracked.tracker.objectCount(), 2u);
  EXPECT_EQ(tracked.refresh(), Events{}) << "still broken: reported once, nothing removed";

  replace(dir, "a.yaml", service("web", 81));
  EXPECT_EQ(tracked.refresh(), (Events{"+Service shop/web:81", "-shop/web-1"}));
}

TEST(ManifestTracker, InvalidObjectKeepsItsLastValidVersion) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80) + "---\n" + service("db", 5432));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh().size(), 2u);

  replace(dir, "a.yaml", service("web", 70000) + "---\n" + service("db", 5433));
  const Events events = tracked.refresh();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(isError(events[0]) && events[0].find("70000") != std::string::npos) << events[0];
  EXPECT_EQ(events[1], "+Service shop/db:5433");
  // Still invalid: nothing new. Valid again: the new version.
  replace(dir, "a.yaml", service("web", 70000) + "---\n" + service("db", 5433) + "\n");
  EXPECT_EQ(tracked.refresh(), Events{});
  replace(dir, "a.yaml", service("web", 90) + "---\n" + service("db", 5433));
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:90"});
}

TEST(ManifestTracker, LaterFileWinsAndTheEarlierComesBack) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:80"});
  replace(dir, "b.yaml", service("web", 81));
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:81"});

  // a.yaml did not change, so it is not parsed, and its version was not kept (the sink had
  // it): it is read again to be sent.
  std::filesystem::remove(dir.path() / "b.yaml");
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:80"});
  EXPECT_EQ(tracked.changes.filesParsed, 0u);
  replace(dir, "b.yaml", service("web", 82));
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:82"});
  replace(dir, "b.yaml", service("db", 5432));
  EXPECT_EQ(tracked.refresh(), (Events{"+Service shop/db:5432", "+Service shop/web:80"}));
  std::filesystem::remove(dir.path() / "a.yaml");
  EXPECT_EQ(tracked.refresh(), Events{"-shop/web"});
}

TEST(ManifestTracker, ShadowedVersionSurvivesItsFileBreaking) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80));
  dir.write("b.yaml", service("web", 81));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:81"});

  // a.yaml's version never reached the sink: the tracker kept it.
  replace(dir, "a.yaml", "kind: Service\nspec: [unclosed\n");
  EXPECT_EQ(tracked.refresh().size(), 1u);  // the syntax error
  std::filesystem::remove(dir.path() / "b.yaml");
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:80"});
}

// The one case the tracker cannot follow: a version the sink had, replaced by another file's
// while its own file was broken, then that file's goes away. The sink keeps the last version it
// got until the broken file parses again.
TEST(ManifestTracker, LostVersionOfABrokenFileWaitsForItsFix) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:80"});
  replace(dir, "a.yaml", "kind: Service\nspec: [unclosed\n");
  EXPECT_EQ(tracked.refresh().size(), 1u);  // the syntax error
  replace(dir, "b.yaml", service("web", 81));
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:81"});

  std::filesystem::remove(dir.path() / "b.yaml");
  EXPECT_EQ(tracked.refresh(), Events{});
  EXPECT_EQ(tracked.tracker.objectCount(), 1u);
  replace(dir, "a.yaml", service("web", 80));
  EXPECT_EQ(tracked.refresh(), Events{"+Service shop/web:80"});
  std::filesystem::remove(dir.path() / "a.yaml");
  EXPECT_EQ(tracked.refresh(), Events{"-shop/web"});
  EXPECT_EQ(tracked.tracker.objectCount(), 0u);
}

TEST(ManifestTracker, LegacyEndpointsStandInOnlyWithoutRealSlices) {
  TempDir dir;
  dir.write("a.yaml", legacyEndpoints("web", "10.244.0.9"));
  dir.write("b.yaml", slice("web", "10.244.0.5"));
  Tracked tracked(dir);
  EXPECT_EQ(tracked.refresh(), Events{"+EndpointSlice shop/web-1@10.244.0.5"});

  std::filesystem::remove(dir.path() / "b.yaml");
  EXPECT_EQ(tracked.refresh(),
            (Events{"+EndpointSlice shop/web-legacy-0@10.244.0.9", "-shop/web-1"}));
  replace(dir, "c.yaml", slice("web", "10.244.0.6"));
  EXPECT_EQ(tracked.refresh(),
            (Events{"+EndpointSlice shop/web-1@10.244.0.6", "-shop/web-legacy-0"}));
}

TEST(ManifestTracker, SingleFilePath) {
  TempDir dir;
  const auto file = dir.write("cluster.yaml", service("web", 80));
  ManifestTracker tracker(file, milliseconds(0));
  EventLog log;
  ASSERT_TRUE(tracker.refresh(log, std::stop_token()));
  EXPECT_EQ(log.take(), Events{"+Service shop/web:80"});
  ASSERT_TRUE(tracker.refresh(log, std::stop_token()));
  EXPECT_EQ(log.take(), Events{});

  std::filesystem::remove(file);
  EXPECT_FALSE(tracker.refresh(log, std::stop_token()));  // PATH itself is gone: nothing removed
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_TRUE(isError(log.take()[0]));
  replace(dir, "cluster.yaml", service("web", 81));
  ASSERT_TRUE(tracker.refresh(log, std::stop_token()));
  EXPECT_EQ(log.take(), Events{"+Service shop/web:81"});
}

// What the tracker keeps is a digest per object, not the object: with services of a
// 10-endpoint slice each, the old tracker kept ~3.9 KB per object (three copies).
TEST(ManifestTracker, KeepsDigestsNotObjects) {
  TempDir dir;
  constexpr int kServices = 400;
  for (int i = 0; i < kServices; ++i) {
    std::string text = service("svc-" + std::to_string(i), 80) +
                       "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n"
                       "  name: svc-" +
                       std::to_string(i) +
                       "-a\n  namespace: shop\n  labels:\n    kubernetes.io/service-name: svc-" +
                       std::to_string(i) + "\naddressType: IPv4\nendpoints:\n";
    for (int j = 0; j < 10; ++j)
      text += "- addresses: [\"10.1." + std::to_string(i % 250) + "." + std::to_string(j + 1) +
              "\"]\n  nodeName: node-1\n";
    dir.write("svc-" + std::to_string(i) + ".yaml", text);
  }
  struct Counting final : EventSink {
    void upsert(Object) override { ++upserts; }
    void remove(ObjectKind, const std::string&) override {}
    void invalid(const ObjectError&) override {}
    void synced() override {}
    size_t upserts = 0;
  } sink;
  const auto inUse = [] {
    const struct mallinfo2 info = mallinfo2();
    return static_cast<double>(info.uordblks + info.hblkhd);
  };
  const double before = inUse();
  ManifestTracker tracker(dir.path());
  ASSERT_TRUE(tracker.refresh(sink, std::stop_token()));
  ASSERT_EQ(sink.upserts, 2u * kServices);
  const double perObject = (inUse() - before) / (2 * kServices);
  RecordProperty("bytes_per_object", std::to_string(perObject));
  // About 120 bytes (a key, a digest, a file name); 0 where malloc is replaced (sanitizers).
  EXPECT_LT(perObject, 400) << "the tracker keeps more than digests";
}

}  // namespace
}  // namespace kpx::watch
