"""review items: an index per federation for the moderation queue; the federation of old items

A federation moderator sees the items of their federation's categories. The queue walked the
national index on (status, opened_at, id) and tested each item's category: with 10 000 open
items nationally and a handful in one federation, every page view read them all. The index on
(status, federation_id, opened_at, id) hands over one federation's items in order, from the
cursor on, for the moderator's scope and for the queue's federation filter alike.

`review_items.federation_id` (migration 0003) copies the category's federation when an item is
opened; items opened before 0003 have none. They get their category's here, so that the scope
and the filter, which now read that column, miss none of them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 13:15:00
"""

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE review_items SET federation_id = "
        "(SELECT categories.federation_id FROM categories WHERE categories.id = review_items.category_id) "
        "WHERE federation_id IS NULL"
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_status_federation_opened',
                              ['status', 'federation_id', 'opened_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_status_federation_opened')
    # The filled federations stay: they are what the items' categories say.
