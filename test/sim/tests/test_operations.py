"""Operations, idempotency, paging."""
import grpc

from simclient import M, PROJECT, SimTestCase

OP_GET = "/nebius.common.v1.OperationService/Get"


class OperationsTest(SimTestCase):
    SIM_KW = {"op_delay": "0.3"}

    def setUp(self):
        self.sim.admin("Reset")

    def test_operation_fields(self):
        req = self.sim.instance_request("vm")
        op = self.sim.call("/nebius.compute.v1.InstanceService/Create", req)
        self.assertFalse(op.HasField("status"))
        self.assertFalse(op.HasField("finished_at"))
        self.assertEqual(op.created_by, "serviceaccount-sim0000000001")
        self.assertEqual(op.description, "Create instance")
        echoed = M("nebius.compute.v1.CreateInstanceRequest")()
        self.assertTrue(op.request.Unpack(echoed))
        self.assertEqual(echoed, req)
        polled = self.sim.call(OP_GET, M("nebius.common.v1.GetOperationRequest")(id=op.id))
        self.assertEqual(polled.id, op.id)
        done = self.sim.wait_ok(op)
        self.assertEqual(done.status.ByteSize(), 0)  # OK = empty status, present
        self.assertGreaterEqual(done.finished_at.ToNanoseconds(), done.created_at.ToNanoseconds())
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, self.sim.call, OP_GET,
                            M("nebius.common.v1.GetOperationRequest")(id="op-missing"))
        listed = self.sim.call("/nebius.common.v1.OperationService/List",
                               M("nebius.common.v1.ListOperationsRequest")(resource_id=op.resource_id))
        self.assertEqual([o.id for o in listed.operations], [op.id])
        by_parent = self.sim.call("/nebius.compute.v1.InstanceService/ListOperationsByParent",
                                  M("nebius.compute.v1.ListOperationsByParentRequest")(parent_id=PROJECT))
        self.assertEqual([o.id for o in by_parent.operations], [op.id])
        disks = self.sim.call("/nebius.compute.v1.DiskService/ListOperationsByParent",
                              M("nebius.compute.v1.ListOperationsByParentRequest")(parent_id=PROJECT))
        self.assertEqual(len(disks.operations), 0)

    def test_idempotency_returns_original_operation(self):
        md = [("x-idempotency-key", "2f1e8a9c-1111-4222-8333-944455556666")]
        req = self.sim.instance_request("vm")
        op1 = self.sim.call("/nebius.compute.v1.InstanceService/Create", req, metadata=md)
        op2 = self.sim.call("/nebius.compute.v1.InstanceService/Create", req, metadata=md)
        self.assertEqual(op1.id, op2.id)
        self.sim.wait_ok(op1)
        op3 = self.sim.call("/nebius.compute.v1.InstanceService/Create", req, metadata=md)
        self.assertEqual(op3.id, op1.id)
        self.assertTrue(op3.HasField("status"))
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertEqual(kinds.count("instance"), 1)
        # Without the key, the same request is a second create: the name is taken.
        self.assertRpcError(grpc.StatusCode.ALREADY_EXISTS, self.sim.call,
                            "/nebius.compute.v1.InstanceService/Create", req)
        # The same key on another method is a different request.
        stop = self.sim.call("/nebius.compute.v1.InstanceService/Stop",
                             M("nebius.compute.v1.StopInstanceRequest")(id=op1.resource_id), metadata=md)
        self.assertNotEqual(stop.id, op1.id)
        log = self.sim.requests("InstanceService/Create")
        self.assertEqual(log["counts"]["/nebius.compute.v1.InstanceService/Create"], 4)
        self.assertEqual(log["requests"][0]["metadata"]["x-idempotency-key"], md[0][1])


class PagingTest(SimTestCase):
    SIM_ARGS = ("--page-size-max", "2")

    def test_pages(self):
        pages, token, names = 0, "", []
        while True:
            resp = self.sim.call("/nebius.compute.v1.PlatformService/List",
                                 M("nebius.compute.v1.ListPlatformsRequest")(parent_id=PROJECT, page_token=token))
            pages += 1
            self.assertLessEqual(len(resp.items), 2)
            names += [p.metadata.name for p in resp.items]
            token = resp.next_page_token
            if not token:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(len(names), 5)
        self.assertEqual(len(set(names)), 5)
        one = self.sim.call("/nebius.compute.v1.ImageService/ListPublic",
                            M("nebius.compute.v1.ListPublicRequest")(region="eu-north1", page_size=1))
        self.assertEqual(len(one.items), 1)
        self.assertTrue(one.next_page_token)
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, self.sim.call, "/nebius.compute.v1.PlatformService/List",
                            M("nebius.compute.v1.ListPlatformsRequest")(parent_id=PROJECT, page_token="garbage!"))
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, self.sim.call, "/nebius.compute.v1.PlatformService/List",
                            M("nebius.compute.v1.ListPlatformsRequest")(parent_id=PROJECT, page_size=-1))


class ConcurrencyTest(SimTestCase):
    def test_parallel_creates_get_unique_addresses(self):
        import threading
        self.sim.login()
        results, errors_ = {}, []

        def worker(i):
            try:
                op = self.sim.call("/nebius.compute.v1.InstanceService/Create",
                                   self.sim.instance_request("par-%d" % i, public=True))
                results[i] = self.sim.wait_ok(op).resource_id
            except Exception as e:  # noqa: collected and asserted below
                errors_.append(e)
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors_, [])
        addrs, public = set(), set()
        for iid in results.values():
            inst = self.sim.wait_instance(iid, "RUNNING")
            addrs.add(inst.status.network_interfaces[0].ip_address.address)
            public.add(inst.status.network_interfaces[0].public_ip_address.address)
        self.assertEqual(len(addrs), 12)
        self.assertEqual(len(public), 12)
