"""quotes, attachments, notifications, review queue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 04:14:27.940272
"""

from alembic import op
import sqlalchemy as sa
import forum.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploader_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_uploader_id'), ['uploader_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_member_created', ['member_id', 'created_at'], unique=False)

    op.create_table('review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='item_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('opened_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', forum.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], ),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_status_opened', ['status', 'opened_at', 'id'], unique=False)
        batch_op.create_index('uq_review_items_open_post', ['post_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_item_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('approve', 'reject', 'request_changes', 'keep', 'hide', 'restore', 'lock', 'warn', 'suspend', name='decision_action', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('created_at', forum.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_item_id'], ['review_items.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_review_item_id'), ['review_item_id'], unique=False)

    op.create_table('quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('tweet', 'social', 'email', 'sms', 'article', 'video', 'internal', 'document', name='quote_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('handle', sa.String(length=200), nullable=False),
    sa.Column('said_at', sa.String(length=40), nullable=False),
    sa.Column('source_url', sa.String(length=2000), nullable=False),
    sa.Column('archive_url', sa.String(length=2000), nullable=False),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('quoted_post_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('quoted_revision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('quoted_member_id', sa.Integer(), nullable=True),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quoted_member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['quoted_post_id'], ['posts.id'], ),
    sa.ForeignKeyConstraint(['quoted_revision_id'], ['post_revisions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'position', name='uq_quotes_post_position')
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotes_quoted_member_id'), ['quoted_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quotes_quoted_post_id'), ['quoted_post_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_reasons', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('post_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quotes', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('visible', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('published', 'held', 'rejected', 'hidden', 'deleted', name='topic_status', native_enum=False, create_constraint=True, length=20), nullable=False, server_default='published'))



def downgrade() -> None:
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_constraint('topic_status', type_='check')
        batch_op.drop_column('status')

    with op.batch_alter_table('post_revisions', schema=None) as batch_op:
        batch_op.drop_column('visible')
        batch_op.drop_column('quotes')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('hold_reasons')

    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotes_quoted_post_id'))
        batch_op.drop_index(batch_op.f('ix_quotes_quoted_member_id'))

    op.drop_table('quotes')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_review_item_id'))
        batch_op.drop_index(batch_op.f('ix_decisions_post_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('uq_review_items_open_post', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_review_items_status_opened')

    op.drop_table('review_items')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_member_created')

    op.drop_table('notifications')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_uploader_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_sha256'))

    op.drop_table('attachments')
