"""What the tests build and how they log in, in one place (the benches import from here too;
tests never import bench/):

- factories: the small test world (a township, two villages, teams, helpers, households) and rows;
- perf_factories: visits and measures for a finished month (performance, rankings);
- visit_data: visit bodies, real images, photo forms, a re-photographed screen;
- roster_files: roster workbooks and CSVs as offices send them;
- login: logging a browser page or a test client in;
- live: a real gunicorn, scratch databases and instances, a logged-in requests session, a phone's visit;
- live_gunicorn, fault: the server-crash tests; s3_server: moto's S3 server.
"""
